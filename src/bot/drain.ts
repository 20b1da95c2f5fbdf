import type { Logger } from '../shared/logger';
import type { WeComChannel } from '../modules/delivery';

/** What the bot needs of the delivery engine (DeliveryService.drain). */
export interface Drainer {
  drain(channel: WeComChannel): Promise<unknown>;
}

/**
 * Drains the outbox through the WeCom channel every `intervalMs` while the bot is logged in. The
 * next pass is scheduled only when the last one has finished, so passes never overlap; the timer
 * is unref'd so it never keeps the process alive. Holds no state worth keeping: what is due lives
 * in MySQL, so a stop or a crash loses nothing.
 */
export class DrainLoop {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private active = false;

  constructor(
    private readonly drainer: Drainer,
    private readonly channel: WeComChannel,
    private readonly intervalMs: number,
    private readonly log: Logger,
    private readonly onPass: (result: unknown) => void = () => undefined,
  ) {}

  get isRunning(): boolean {
    return this.active;
  }

  start(): void {
    if (this.active) return;
    this.active = true;
    this.log.info({ intervalMs: this.intervalMs }, 'outbox drain started');
    // A pass still in flight from before a stop schedules the next one itself.
    if (!this.running && !this.timer) this.schedule(0);
  }

  /** Stops scheduling and waits for a pass in flight. */
  async stop(): Promise<void> {
    if (this.active) this.log.info('outbox drain stopped');
    this.active = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  private schedule(delayMs: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      this.running = this.pass().finally(() => {
        this.running = null;
        if (this.active && !this.timer) this.schedule(this.intervalMs);
      });
    }, delayMs);
    this.timer.unref();
  }

  private async pass(): Promise<void> {
    try {
      const result = await this.drainer.drain(this.channel);
      this.onPass(result);
    } catch (err) {
      // A failed pass is retried at the next tick; the rows it had claimed go back when their lease ends.
      this.log.error({ err }, 'outbox drain pass failed');
    }
  }
}
