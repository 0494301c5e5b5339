// Public API of the scheduler concept (filled in by its issue).
export {};
