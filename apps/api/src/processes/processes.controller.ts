import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ProcessManager } from './process-manager';
import { ProcessesDto } from './processes.dto';

@ApiTags('processes')
@Controller('processes')
export class ProcessesController {
  constructor(private readonly manager: ProcessManager) {}

  @Get()
  @ApiOkResponse({ type: ProcessesDto })
  @ApiOperation({
    summary:
      'Each process (referral deadlines, transfer proposals, discharge follow-ups): its read model’s checkpoint and lag, acts due now, the next timer, acts done, skipped and failed, the last error',
  })
  async list() {
    return { processes: await this.manager.status() };
  }
}
