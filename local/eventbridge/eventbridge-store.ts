import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import * as path from 'node:path';
import type { BusPolicy } from './bus-policy';
import type { JsonValue } from './event-pattern';

export interface StoredEventBus {
  name: string;
  arn: string;
  accountId: string;
  description?: string;
  policy?: BusPolicy;
  creationTime: number;
  lastModifiedTime: number;
}

export interface StoredRetryPolicy {
  maximumRetryAttempts: number;
  maximumEventAgeInSeconds: number;
}

export interface StoredTarget {
  id: string;
  arn: string;
  roleArn?: string;
  input?: string;
  inputPath?: string;
  retryPolicy?: { MaximumRetryAttempts?: number; MaximumEventAgeInSeconds?: number };
  deadLetterArn?: string;
}

export interface StoredRule {
  name: string;
  arn: string;
  /** The bus owner's account, which owns the rule. */
  accountId: string;
  eventBusName: string;
  eventPattern?: string;
  scheduleExpression?: string;
  state: 'ENABLED' | 'DISABLED' | 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
  description?: string;
  roleArn?: string;
  createdBy: string;
  targets: StoredTarget[];
}

/** The event as targets receive it. */
export interface EventEnvelope {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: JsonValue;
}

/** One event on its way to one target of one rule, with its retry state. */
export interface PendingDelivery {
  id: string;
  event: EventEnvelope;
  busArn: string;
  ruleArn: string;
  target: StoredTarget;
  /** The event reached this bus through another bus's rule, so it is not forwarded again. */
  forwarded: boolean;
  attempts: number;
  /** Epoch ms of ingestion; MaximumEventAgeInSeconds counts from here (time-scaled). */
  acceptedAt: number;
  /** Epoch ms of the next attempt. */
  nextAttemptAt: number;
  lastError?: string;
}

export interface StoredResources {
  buses: StoredEventBus[];
  rules: StoredRule[];
}

/**
 * Keeps deployed buses, rules and targets in `resources.json` and every accepted but
 * undelivered event in `pending/<delivery id>.json`. Each write goes to a temp file that
 * is fsynced and renamed into place before the call returns, so what PutEvents accepted
 * survives a SIGKILL right after its answer. Without a data folder nothing is kept.
 */
export class EventBridgeStore {
  private readonly resourcesFile?: string;
  private readonly pendingDir?: string;

  constructor(dataDir: string | undefined) {
    if (!dataDir) return;
    this.resourcesFile = path.join(dataDir, 'resources.json');
    this.pendingDir = path.join(dataDir, 'pending');
    mkdirSync(this.pendingDir, { recursive: true });
  }

  get durable(): boolean {
    return this.resourcesFile !== undefined;
  }

  loadResources(): StoredResources | undefined {
    if (!this.resourcesFile || !existsSync(this.resourcesFile)) return undefined;
    return JSON.parse(readFileSync(this.resourcesFile, 'utf8')) as StoredResources;
  }

  saveResources(resources: StoredResources): void {
    if (this.resourcesFile) writeDurably(this.resourcesFile, JSON.stringify(resources));
  }

  loadPending(): PendingDelivery[] {
    if (!this.pendingDir) return [];
    return readdirSync(this.pendingDir)
      .filter((file) => file.endsWith('.json'))
      .map((file) => JSON.parse(readFileSync(path.join(this.pendingDir as string, file), 'utf8')) as PendingDelivery);
  }

  savePending(delivery: PendingDelivery): void {
    if (this.pendingDir) writeDurably(path.join(this.pendingDir, `${delivery.id}.json`), JSON.stringify(delivery));
  }

  removePending(id: string): void {
    if (this.pendingDir) rmSync(path.join(this.pendingDir, `${id}.json`), { force: true });
  }
}

function writeDurably(file: string, text: string): void {
  const temporary = `${file}.${process.pid}.tmp`;
  const descriptor = openSync(temporary, 'w');
  try {
    writeSync(descriptor, text);
    fsyncSync(descriptor);
  } finally {
    closeSync(descriptor);
  }
  renameSync(temporary, file);
}
