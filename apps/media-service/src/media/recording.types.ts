/** A processed recording (the media files themselves are simulated); kept in the RecordingRepository. */
export interface Recording {
  recordingId: string;
  meetingId: string;
  format: string;
  durationMs: number;
  sizeBytes: number;
  participants: string[];
  createdAt: string;
  /** Renditions made by `transcode`, by format. */
  renditions: Record<string, { resolution: string; sizeBytes: number }>;
}
