/** The meeting model of the meeting-service (kept in memory). */
export interface Participant {
  participantId: string;
  name: string;
  joinedAt: string;
}

export interface Transcript {
  taskId: string;
  participantId?: string;
  state: 'pending' | 'completed' | 'failed';
  text?: string;
  words?: number;
  confidence?: number;
  error?: string;
  requestedAt: string;
  completedAt?: string;
}

export interface Meeting {
  meetingId: string;
  title: string;
  hostId: string;
  state: 'active' | 'ended';
  /** Version of the meeting, +1 on every change; carried by every event as `seq` so consumers can drop stale ones. */
  seq: number;
  participants: Participant[];
  transcripts: Transcript[];
  /** Task id of the `recording_process` dispatched to the media-service when the meeting ended. */
  recordingTaskId?: string;
  createdAt: string;
  endedAt?: string;
}
