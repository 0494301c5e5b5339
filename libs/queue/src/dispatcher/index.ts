// Public API of the dispatcher concept (filled in by its issue).
export {};
