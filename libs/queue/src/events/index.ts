// Public API of the events concept (filled in by its issue).
export {};
