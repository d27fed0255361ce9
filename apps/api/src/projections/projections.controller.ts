import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { ProjectionsDto, ProjectionStatusDto } from '../health/health-report.dto';
import { ProjectionsService } from './projections.service';

export class RebuildQueryDto {
  @ApiPropertyOptional({
    enum: ['true', 'false'],
    description: 'true: answer once the new generation serves',
  })
  @IsOptional()
  @IsIn(['true', 'false'], { message: 'wait must be true or false' })
  wait?: 'true' | 'false';
}

@ApiTags('projections')
@Controller('projections')
export class ProjectionsController {
  constructor(private readonly projections: ProjectionsService) {}

  @Get()
  @ApiOkResponse({ type: ProjectionsDto })
  @ApiOperation({
    summary: 'Each projection: generation, position, lag behind the log head, state, last error',
  })
  async list() {
    return { projections: await this.projections.status() };
  }

  @Post(':name/rebuild')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: ProjectionStatusDto })
  @ApiOperation({
    summary:
      'Rebuild into a fresh generation (off the request loop, within WORK_BUDGET_REBUILD_MS); queries answer from the old one until it has caught up. wait=true: answers once it is in service, 503 WORK_TIMEOUT past the budget',
  })
  rebuild(@Param('name') name: string, @Query() q: RebuildQueryDto) {
    return this.projections.rebuild(name, q.wait === 'true');
  }

  @Post(':name/resume')
  @HttpCode(202)
  @ApiAcceptedResponse({ type: ProjectionStatusDto })
  @ApiOperation({ summary: 'Retry a failed projection from its checkpoint' })
  resume(@Param('name') name: string) {
    return this.projections.resume(name);
  }
}
