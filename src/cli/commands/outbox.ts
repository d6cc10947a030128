import type { Command } from 'commander';
import { DomainError } from '../../domain/errors.js';
import type { OutboxMessage } from '../../services/delivery/outbox-service.js';
import { type CliIo, operatorContext, outputOption, withContainer, withStoreOptions } from '../command-context.js';
import { formatOutput } from '../output.js';

const columns = ['createdDateTime', 'channel', 'recipient', 'subject', 'body'];

/** Table and CSV rows keep each message on one line. */
function outboxRow(message: OutboxMessage): Record<string, unknown> {
  return { ...message, body: message.body.replace(/\s*\n\s*/g, ' ').trim() };
}

/** `sspr outbox list`: what the development outbox kept instead of sending (it holds live codes). */
export function registerOutboxCommands(program: Command, io: CliIo): void {
  const outbox = program.command('outbox').description('the development outbox (messages stored instead of sent)');
  withStoreOptions(outbox.command('list').description('list outbox messages, newest first'))
    .option('--top <n>', 'stop after n messages (default 50, at most 999)', (value) => Number(value))
    .addOption(outputOption(['table', 'json', 'csv'], 'table'))
    .action(async (flags) => {
      const top: number = flags.top ?? 50;
      if (!Number.isInteger(top) || top < 1 || top > 999)
        throw new DomainError('invalid_request', {}, '--top must be a whole number from 1 to 999');
      await withContainer(flags, io, async (container) => {
        const messages = await container.outbox.list(operatorContext(), { top });
        const text =
          flags.output === 'json'
            ? JSON.stringify(messages, null, 2)
            : formatOutput(flags.output, messages.map(outboxRow), columns);
        io.stdout(`${text}\n`);
      });
    });
}
