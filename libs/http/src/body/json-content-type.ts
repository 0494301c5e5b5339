/** The media type of a Content-Type header, lower case, without its parameters (`''` without one). */
function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/** The `charset` parameter of a Content-Type header, lower case and unquoted; undefined without one. */
export function contentTypeCharset(contentType: string | undefined): string | undefined {
  for (const parameter of (contentType ?? '').split(';').slice(1)) {
    const at = parameter.indexOf('=');
    if (at < 0 || parameter.slice(0, at).trim().toLowerCase() !== 'charset') continue;
    return parameter
      .slice(at + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
  }
  return undefined;
}

/**
 * `application/json` or a structured-syntax `+json` type (RFC 6839: `application/vnd.api+json`,
 * `application/merge-patch+json`, `application/problem+json`), parameters aside. The 415 check and
 * the JSON parser both decide with it, so a body that passes one is read by the other.
 */
export function isJsonType(contentType: string | undefined): boolean {
  const type = mediaType(contentType);
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json') && type.length > 'application/+json'.length);
}

/**
 * Why a request body with this Content-Type is refused (415), undefined when it is JSON in UTF-8:
 * not a JSON type, or a charset other than UTF-8 (RFC 8259 section 8.1: JSON exchanged between
 * systems is UTF-8; no charset means UTF-8).
 */
export function jsonContentTypeProblem(contentType: string | undefined): string | undefined {
  if (!isJsonType(contentType)) {
    return `request bodies must be JSON (Content-Type: application/json), got ${contentType ?? 'no Content-Type'}`;
  }
  const charset = contentTypeCharset(contentType);
  if (charset !== undefined && charset !== 'utf-8') {
    return `request bodies must be JSON in UTF-8, got charset=${charset} (Content-Type: ${contentType})`;
  }
  return undefined;
}
