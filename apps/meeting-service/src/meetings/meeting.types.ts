/** The meeting model of the meeting-service (kept in Redis, see store/). */
export interface Participant {
  participantId: string;
  name: string;
  /** When the participant was admitted (POST /meetings/:id/participants, which hands out the join token). */
  joinedAt: string;
  /** True while a signaling connection of the participant is open (from the signaling-service's session events). */
  connected: boolean;
  connectedAt?: string;
  muted?: boolean;
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

/** Delayed tasks of a scheduled meeting (scheduler ids, cancelled when the meeting ends earlier). */
export interface MeetingSchedule {
  startsAt: string;
  maxDurationMs: number;
  reminderAt?: string;
  reminderId?: string;
  autoEndAt: string;
  autoEndId?: string;
}

/** The parts of the post-meeting analysis that can fail on their own. */
export type AnalysisPart = 'recording' | 'transcription' | 'emotion';

/** The post-meeting pipeline: recording_process (high priority), then speech_recognition and emotion_detection on the recording. */
export interface MeetingAnalysis {
  state: 'recording' | 'analysing' | 'completed' | 'failed';
  recordingTaskId?: string;
  recording?: { recordingId: string; format?: string; durationMs?: number; sizeBytes?: number };
  speechTaskId?: string;
  emotionTaskId?: string;
  transcript?: { text: string; words: number; confidence: number };
  emotion?: { emotion: string; confidence: number };
  /** Why a part failed (its task failed for good, or its result broke the contract); the analysis then ends `failed`. */
  failures?: Partial<Record<AnalysisPart, string>>;
  errors: string[];
  updatedAt: string;
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
  schedule?: MeetingSchedule;
  /** Task id of the `recording_process` dispatched to the media-service when the meeting ended. */
  recordingTaskId?: string;
  analysis?: MeetingAnalysis;
  createdAt: string;
  endedAt?: string;
  /** `requested` (POST /end) or `max_duration` (the scheduled automatic end). */
  endReason?: 'requested' | 'max_duration';
}

/** What the repository stores: the meeting without its transcripts (kept beside it, see TranscriptRepository). */
export type MeetingRecord = Omit<Meeting, 'transcripts'>;
