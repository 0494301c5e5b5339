import { Controller, Delete, Get, HttpCode, Inject, NotFoundException, Param, Post } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { MEETING_CONTEXT_REPOSITORY, MeetingContextRepository } from './meetings/context/meeting-context-repository';
import { ModelEventsListener } from './models/model-events.listener';
import { ModelName, ModelRegistry } from './models/model-registry.service';
import { RESULT_REPOSITORY, ResultRepository } from './results/result-repository';

/** REST of the AI service: models (load/unload emit local events) and what it knows of a meeting. */
@ApiTags('ai')
@Controller()
export class AiController {
  constructor(
    private readonly models: ModelRegistry,
    private readonly modelEvents: ModelEventsListener,
    @Inject(MEETING_CONTEXT_REPOSITORY) private readonly contexts: MeetingContextRepository,
    @Inject(RESULT_REPOSITORY) private readonly results: ResultRepository,
  ) {}

  @Get('models')
  listModels() {
    return { models: this.models.list(), events: { ...this.modelEvents.counts } };
  }

  @Post('models/:name/load')
  @HttpCode(200)
  @ApiOkResponse({ description: 'the model, loaded (loading it again changes nothing)' })
  @ApiNotFoundResponse({ description: 'unknown model (the message lists the known ones)' })
  async load(@Param('name') name: string) {
    await this.models.ensureLoaded(this.models.get(name).name as ModelName);
    return this.models.get(name);
  }

  @Delete('models/:name')
  @ApiOkResponse({ description: 'the model, unloaded (`unloaded`: false when it was not loaded)' })
  @ApiNotFoundResponse({ description: 'unknown model (the message lists the known ones)' })
  async unload(@Param('name') name: string) {
    const unloaded = await this.models.unload(name);
    return { ...this.models.get(name), unloaded };
  }

  @Get('meetings/:meetingId/context')
  @ApiOkResponse({ description: 'what the ai-service saw of the meeting (state, participants, recordings)' })
  @ApiNotFoundResponse({ description: 'no meeting_events seen for this meeting' })
  async context(@Param('meetingId') meetingId: string) {
    const context = await this.contexts.get(meetingId);
    if (!context) throw new NotFoundException(`no context for meeting "${meetingId}" (no meeting_events seen for it)`);
    return context;
  }

  /** The inference results of a meeting's tasks (shared by the replicas), oldest first. */
  @Get('meetings/:meetingId/results')
  meetingResults(@Param('meetingId') meetingId: string) {
    return this.results.list(meetingId);
  }
}
