/**
 * An in-process EventStoreDB protocol test double: a real gRPC server built from the service descriptors that
 * `@eventstore/db-client` ships, speaking the wire protocol the client speaks, with EventStoreDB's semantics for
 * what CarePath's adapter uses. It lets the adapter and the contract suite run in every `npm test` on a machine
 * with no EventStoreDB server. It is a test double, not a database: memory only, one node, no auth.
 *
 * Covered (EventStoreDB 23.x semantics):
 *  - ServerFeatures.GetSupportedMethods: announces Streams.Append and Streams.Read only, so the client uses the
 *    classic client-streaming Append (not BatchAppend).
 *  - Streams.Append: expected revision (exact, no stream, stream exists, any) with WrongExpectedVersion carrying
 *    the current revision; idempotent retry when the proposed ids are already the events right after the
 *    expected revision (or, with `any`, anywhere in the stream in order); otherwise duplicate ids are written
 *    again, as EventStoreDB does; append size limit (MaximumAppendSizeExceeded via the `exception` trailer).
 *  - Streams.Read on a stream (start, revision, end; forwards and backwards; count) with StreamNotFound; on $all
 *    (start, position, end; forwards and backwards; count; inclusive of the start position), with a server-side
 *    filter on stream-name or event-type prefixes or regex; subscriptions to $all and to a stream: confirmation,
 *    catch-up, checkpoints every `checkpointIntervalMultiplier × 32` events examined, CaughtUp, then live events.
 *  - $all holds a system event first (`$epoch-information`), and positions leave gaps, as real logs do.
 *  - Faults for tests: `unavailable()` answers every call with UNAVAILABLE, `restore()` ends that,
 *    `dropSubscriptions()` ends live reads with UNAVAILABLE (a node going away), `tamper()` rewrites a stored
 *    event's data in place.
 * Not covered: BatchAppend, Delete/Tombstone, stream metadata and ACLs, links and projections, persistent
 * subscriptions, Gossip/cluster discovery (connect with a single-node connection string), TLS, authentication,
 * `fellBehind`, and UUIDs in structured form.
 */
import * as grpc from '@grpc/grpc-js';
import { ServerFeaturesService } from '@eventstore/db-client/generated/serverfeatures_grpc_pb';
import { SupportedMethod, SupportedMethods } from '@eventstore/db-client/generated/serverfeatures_pb';
import { Empty, StreamIdentifier, UUID } from '@eventstore/db-client/generated/shared_pb';
import { StreamsService } from '@eventstore/db-client/generated/streams_grpc_pb';
import { AppendReq, AppendResp, ReadReq, ReadResp } from '@eventstore/db-client/generated/streams_pb';
import { randomUUID } from 'node:crypto';

interface Recorded {
  readonly streamName: string;
  readonly revision: bigint;
  readonly id: string;
  readonly metadata: ReadonlyMap<string, string>;
  readonly customMetadata: Uint8Array;
  readonly data: Uint8Array;
  readonly position: bigint;
}

type Filter = (event: Recorded) => boolean;

interface LiveReader {
  readonly matches: Filter;
  push(event: Recorded): void;
  drop(error: grpc.ServiceError): void;
}

const CHECKPOINT_WINDOW = 32;
const MAX_APPEND_BYTES = 1024 * 1024;

export class EsdbProtocolDouble {
  private readonly log: Recorded[] = [];
  private readonly streams = new Map<string, Recorded[]>();
  private readonly live = new Set<LiveReader>();
  private nextPosition = 0n;
  private down = false;
  private server: grpc.Server | null = null;
  port = 0;

  private constructor() {
    // Real logs start with system events and positions are byte offsets with gaps: the adapter must cope.
    this.record('$epoch-information', [
      {
        id: randomUUID(),
        metadata: new Map([
          ['type', '$epoch-information'],
          ['content-type', 'application/json'],
        ]),
        customMetadata: new Uint8Array(),
        data: Buffer.from('{}'),
      },
    ]);
  }

  static async start(): Promise<EsdbProtocolDouble> {
    const double = new EsdbProtocolDouble();
    await double.listen();
    return double;
  }

  get connectionString(): string {
    return `esdb://127.0.0.1:${this.port}?tls=false`;
  }

  /** Every call fails with UNAVAILABLE until `restore()`, and live reads are dropped. */
  unavailable(): void {
    this.down = true;
    this.dropSubscriptions();
  }

  restore(): void {
    this.down = false;
  }

  /** Changes a stored event's data in place, as an attacker with disk access would (for tamper specs). */
  tamper(streamName: string, revision: bigint, data: Uint8Array): void {
    const stream = this.streams.get(streamName);
    const index = stream?.findIndex((e) => e.revision === revision) ?? -1;
    if (!stream || index < 0) throw new Error(`no event ${streamName}@${revision}`);
    const changed = { ...stream[index]!, data };
    this.log[this.log.indexOf(stream[index]!)] = changed;
    stream[index] = changed;
  }

  dropSubscriptions(): void {
    for (const reader of [...this.live])
      reader.drop(serviceError(grpc.status.UNAVAILABLE, 'node going away'));
  }

  async stop(): Promise<void> {
    this.dropSubscriptions();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  }

  private async listen(): Promise<void> {
    const server = new grpc.Server();
    server.addService(ServerFeaturesService, {
      getSupportedMethods: (
        _call: grpc.ServerUnaryCall<Empty, SupportedMethods>,
        callback: grpc.sendUnaryData<SupportedMethods>,
      ) => {
        const methods = ['append', 'read'].map((name) =>
          new SupportedMethod().setServiceName('event_store.client.streams.streams').setMethodName(name),
        );
        callback(
          null,
          new SupportedMethods()
            .setMethodsList(methods)
            .setEventStoreServerVersion('23.10.0-carepath-double'),
        );
      },
    });
    server.addService(StreamsService, {
      append: (
        call: grpc.ServerReadableStream<AppendReq, AppendResp>,
        callback: grpc.sendUnaryData<AppendResp>,
      ) => this.append(call, callback),
      read: (call: grpc.ServerWritableStream<ReadReq, ReadResp>) => this.read(call),
      batchAppend: (call: grpc.ServerDuplexStream<unknown, unknown>) =>
        call.emit('error', serviceError(grpc.status.UNIMPLEMENTED, 'BatchAppend is not in this double')),
      delete: (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
        callback(serviceError(grpc.status.UNIMPLEMENTED, 'not in this double')),
      tombstone: (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
        callback(serviceError(grpc.status.UNIMPLEMENTED, 'not in this double')),
    });
    this.port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, port) =>
        error ? reject(error) : resolve(port),
      ),
    );
    this.server = server;
  }

  private append(
    call: grpc.ServerReadableStream<AppendReq, AppendResp>,
    callback: grpc.sendUnaryData<AppendResp>,
  ): void {
    let options: AppendReq.Options | undefined;
    const proposed: AppendReq.ProposedMessage[] = [];
    call.on('data', (req: AppendReq) => {
      if (req.hasOptions()) options = req.getOptions();
      else if (req.hasProposedMessage()) proposed.push(req.getProposedMessage()!);
    });
    call.on('error', () => undefined);
    call.on('end', () => {
      if (this.down) return callback(serviceError(grpc.status.UNAVAILABLE, 'unavailable'));
      if (!options) return callback(serviceError(grpc.status.INVALID_ARGUMENT, 'append without options'));
      const streamName = Buffer.from(options.getStreamIdentifier()!.getStreamName_asU8()).toString('utf8');
      const size = proposed.reduce(
        (n, m) => n + m.getData_asU8().length + m.getCustomMetadata_asU8().length,
        0,
      );
      if (size > MAX_APPEND_BYTES) {
        return callback(
          serviceError(grpc.status.INVALID_ARGUMENT, 'Maximum Append Size Exceeded', {
            exception: 'maximum-append-size-exceeded',
            'maximum-append-size': String(MAX_APPEND_BYTES),
          }),
        );
      }
      const stream = this.streams.get(streamName) ?? [];
      const current = stream.length === 0 ? null : stream.length - 1;
      const ids = proposed.map((m) => m.getId()!.getString());

      const retry = this.idempotentRetry(stream, ids, options);
      if (retry) return callback(null, success(retry));

      const expected = options.getExpectedStreamRevisionCase();
      const ok =
        expected === AppendReq.Options.ExpectedStreamRevisionCase.ANY ||
        (expected === AppendReq.Options.ExpectedStreamRevisionCase.NO_STREAM && current === null) ||
        (expected === AppendReq.Options.ExpectedStreamRevisionCase.STREAM_EXISTS && current !== null) ||
        (expected === AppendReq.Options.ExpectedStreamRevisionCase.REVISION &&
          current !== null &&
          BigInt(options.getRevision()) === BigInt(current));
      if (!ok) {
        const wrong = new AppendResp.WrongExpectedVersion();
        if (current === null) wrong.setCurrentNoStream(new Empty());
        else wrong.setCurrentRevision(String(current));
        if (expected === AppendReq.Options.ExpectedStreamRevisionCase.REVISION)
          wrong.setExpectedRevision(options.getRevision());
        else if (expected === AppendReq.Options.ExpectedStreamRevisionCase.NO_STREAM)
          wrong.setExpectedNoStream(new Empty());
        else wrong.setExpectedStreamExists(new Empty());
        return callback(null, new AppendResp().setWrongExpectedVersion(wrong));
      }
      const written = this.record(
        streamName,
        proposed.map((m) => ({
          id: m.getId()!.getString(),
          metadata: new Map([...m.getMetadataMap().entries()]),
          customMetadata: m.getCustomMetadata_asU8(),
          data: m.getData_asU8(),
        })),
      );
      callback(null, success(written.at(-1)!));
    });
  }

  /** EventStoreDB treats a batch whose ids are already stored right after the expected revision as a retry. */
  private idempotentRetry(
    stream: readonly Recorded[],
    ids: readonly string[],
    options: AppendReq.Options,
  ): Recorded | null {
    if (ids.length === 0) return null;
    const expected = options.getExpectedStreamRevisionCase();
    let start: number;
    if (expected === AppendReq.Options.ExpectedStreamRevisionCase.REVISION)
      start = Number(options.getRevision()) + 1;
    else if (expected === AppendReq.Options.ExpectedStreamRevisionCase.NO_STREAM) start = 0;
    else start = stream.findIndex((e) => e.id === ids[0]);
    if (start < 0 || start + ids.length > stream.length) return null;
    const slice = stream.slice(start, start + ids.length);
    return slice.every((e, i) => e.id === ids[i]) ? slice.at(-1)! : null;
  }

  private record(
    streamName: string,
    events: readonly Omit<Recorded, 'streamName' | 'revision' | 'position'>[],
  ): Recorded[] {
    const stream = this.streams.get(streamName) ?? [];
    this.streams.set(streamName, stream);
    const written: Recorded[] = [];
    for (const e of events) {
      // Byte-offset-like positions with gaps, as in a real transaction file.
      this.nextPosition += BigInt(96 + e.data.length + e.customMetadata.length);
      const metadata = new Map(e.metadata);
      metadata.set('created', String(BigInt(Date.now()) * 10_000n + 621_355_968_000_000_000n));
      const recorded: Recorded = {
        ...e,
        metadata,
        streamName,
        revision: BigInt(stream.length),
        position: this.nextPosition,
      };
      stream.push(recorded);
      this.log.push(recorded);
      written.push(recorded);
    }
    for (const reader of this.live) for (const e of written) if (reader.matches(e)) reader.push(e);
    return written;
  }

  private read(call: grpc.ServerWritableStream<ReadReq, ReadResp>): void {
    if (this.down) {
      call.emit('error', serviceError(grpc.status.UNAVAILABLE, 'unavailable'));
      return;
    }
    const options = call.request.getOptions()!;
    const backwards = options.getReadDirection() === ReadReq.Options.ReadDirection.BACKWARDS;
    const subscription = options.hasSubscription();
    const count = options.hasCount() ? Number(BigInt(options.getCount())) : Number.MAX_SAFE_INTEGER;

    let source: readonly Recorded[];
    let from: (e: Recorded, i: number) => boolean;
    if (options.hasStream()) {
      const s = options.getStream()!;
      const streamName = Buffer.from(s.getStreamIdentifier()!.getStreamName_asU8()).toString('utf8');
      const stream = this.streams.get(streamName);
      if (!stream && !subscription) {
        call.write(
          new ReadResp().setStreamNotFound(
            new ReadResp.StreamNotFound().setStreamIdentifier(
              new StreamIdentifier().setStreamName(Buffer.from(streamName)),
            ),
          ),
        );
        call.end();
        return;
      }
      source = stream ?? [];
      if (s.hasRevision()) {
        const r = BigInt(s.getRevision());
        from = backwards
          ? (e) => e.revision <= r
          : subscription
            ? (e) => e.revision > r
            : (e) => e.revision >= r;
      } else if (s.hasEnd()) from = backwards ? () => true : () => false;
      else from = backwards ? () => false : () => true;
      const filter: Filter = (e) => e.streamName === streamName;
      return this.serve(call, source, from, filter, { backwards, subscription, count, checkpoints: 0 });
    }
    const all = options.getAll()!;
    source = this.log;
    if (all.hasPosition()) {
      const p = BigInt(all.getPosition()!.getCommitPosition());
      // Reads include the event at the position; subscriptions start after it.
      from = backwards
        ? (e) => e.position < p || (e.position === p && !subscription)
        : subscription
          ? (e) => e.position > p
          : (e) => e.position >= p;
    } else if (all.hasEnd()) from = backwards ? () => true : () => false;
    else from = backwards ? () => false : () => true;
    const filterOptions = options.hasFilter() ? options.getFilter()! : null;
    const filter = filterOptions ? toFilter(filterOptions) : () => true;
    const checkpoints = filterOptions
      ? Math.max(1, filterOptions.getCheckpointintervalmultiplier()) * CHECKPOINT_WINDOW
      : 0;
    this.serve(call, source, from, filter, { backwards, subscription, count, checkpoints });
  }

  private serve(
    call: grpc.ServerWritableStream<ReadReq, ReadResp>,
    source: readonly Recorded[],
    from: (e: Recorded, i: number) => boolean,
    filter: Filter,
    o: { backwards: boolean; subscription: boolean; count: number; checkpoints: number },
  ): void {
    const send = (e: Recorded) => call.write(new ReadResp().setEvent(toReadEvent(e)));
    if (!o.subscription) {
      const ordered = o.backwards ? [...source].reverse() : source;
      let sent = 0;
      for (const [i, e] of ordered.entries()) {
        if (sent >= o.count) break;
        if (!from(e, i) || !filter(e)) continue;
        send(e);
        sent++;
      }
      call.end();
      return;
    }
    call.write(
      new ReadResp().setConfirmation(new ReadResp.SubscriptionConfirmation().setSubscriptionId(randomUUID())),
    );
    let examined = 0;
    let last: Recorded | null = null;
    const checkpoint = (e: Recorded) =>
      call.write(
        new ReadResp().setCheckpoint(
          new ReadResp.Checkpoint()
            .setCommitPosition(String(e.position))
            .setPreparePosition(String(e.position)),
        ),
      );
    const visit = (e: Recorded) => {
      last = e;
      if (filter(e)) send(e);
      if (o.checkpoints > 0 && ++examined % o.checkpoints === 0) checkpoint(e);
    };
    for (const [i, e] of source.entries()) if (from(e, i)) visit(e);
    if (o.checkpoints > 0 && last) checkpoint(last);
    call.write(new ReadResp().setCaughtUp(new ReadResp.CaughtUp()));
    const reader: LiveReader = {
      matches: () => true,
      // Anything appended after the catch-up is newer than the start point.
      push: (e) => visit(e),
      drop: (error) => {
        this.live.delete(reader);
        call.emit('error', error);
      },
    };
    this.live.add(reader);
    call.on('cancelled', () => this.live.delete(reader));
    call.on('close', () => this.live.delete(reader));
  }
}

function success(last: Recorded): AppendResp {
  const position = new AppendResp.Position()
    .setCommitPosition(String(last.position))
    .setPreparePosition(String(last.position));
  return new AppendResp().setSuccess(
    new AppendResp.Success().setCurrentRevision(String(last.revision)).setPosition(position),
  );
}

function toReadEvent(e: Recorded): ReadResp.ReadEvent {
  const recorded = new ReadResp.ReadEvent.RecordedEvent()
    .setId(new UUID().setString(e.id))
    .setStreamIdentifier(new StreamIdentifier().setStreamName(Buffer.from(e.streamName, 'utf8')))
    .setStreamRevision(String(e.revision))
    .setCommitPosition(String(e.position))
    .setPreparePosition(String(e.position))
    .setCustomMetadata(e.customMetadata)
    .setData(e.data);
  for (const [k, v] of e.metadata) recorded.getMetadataMap().set(k, v);
  return new ReadResp.ReadEvent().setEvent(recorded).setCommitPosition(String(e.position));
}

function toFilter(options: ReadReq.Options.FilterOptions): Filter {
  const onStream = options.hasStreamIdentifier();
  const expr = onStream ? options.getStreamIdentifier()! : options.getEventType()!;
  const prefixes = expr.getPrefixList();
  const regex = expr.getRegex() ? new RegExp(expr.getRegex()) : null;
  return (e) => {
    const subject = onStream ? e.streamName : (e.metadata.get('type') ?? '');
    if (prefixes.length > 0) return prefixes.some((p) => subject.startsWith(p));
    return regex ? regex.test(subject) : true;
  };
}

function serviceError(
  code: grpc.status,
  details: string,
  trailers: Record<string, string> = {},
): grpc.ServiceError {
  const metadata = new grpc.Metadata();
  for (const [k, v] of Object.entries(trailers)) metadata.set(k, v);
  const error: grpc.ServiceError = Object.assign(new Error(details), { code, details, metadata });
  return error;
}
