import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';

export type SinkMode = 'ok' | 'defer' | 'reject';

const envelopes = new WeakMap<ParsedMail, string[]>();

/** A real SMTP server on 127.0.0.1 that parses what it receives; it can defer (421) or reject (550). */
export type SmtpSink = {
  port: number;
  url: string;
  messages: ParsedMail[];
  mode: SinkMode;
  /** Stops listening (connections refused) until start() is called again on the same port. */
  stop: () => Promise<void>;
  start: () => Promise<void>;
  close: () => Promise<void>;
};

async function freePort(): Promise<number> {
  const holder = net.createServer().listen(0, '127.0.0.1');
  await new Promise<void>((r) => holder.once('listening', () => r()));
  const port = (holder.address() as AddressInfo).port;
  await new Promise<void>((r) => holder.close(() => r()));
  return port;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const port = await freePort();
  let server: SMTPServer | null = null;
  const sink: SmtpSink = {
    port,
    url: `smtp://127.0.0.1:${port}`,
    messages: [],
    mode: 'ok',
    start: async () => {
      server = new SMTPServer({
        authOptional: true,
        disabledCommands: ['AUTH', 'STARTTLS'],
        logger: false,
        closeTimeout: 50,
        onRcptTo(_address, _session, callback) {
          if (sink.mode === 'ok') return callback();
          const err = new Error(
            sink.mode === 'defer'
              ? 'Service midlertidigt utilgængelig, prøv igen senere'
              : 'Postkassen findes ikke',
          ) as Error & { responseCode: number };
          err.responseCode = sink.mode === 'defer' ? 421 : 550;
          callback(err);
        },
        onData(stream, session, callback) {
          simpleParser(stream)
            .then((mail) => {
              envelopes.set(
                mail,
                session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
              );
              sink.messages.push(mail);
              callback();
            })
            .catch((err: Error) => callback(err));
        },
      });
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(port, '127.0.0.1', () => resolve());
      });
    },
    stop: async () => {
      const s = server;
      server = null;
      if (s) await new Promise<void>((r) => s.close(() => r()));
    },
    close: async () => sink.stop(),
  };
  await sink.start();
  return sink;
}

/** Addresses a received message was delivered to (the SMTP envelope, so hidden recipients count too). */
export function toAddresses(mail: ParsedMail): string[] {
  return envelopes.get(mail) ?? [];
}

/** The addresses in the message's own To header. */
export function headerAddresses(mail: ParsedMail): string[] {
  const to = Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : [];
  return to.flatMap((a) => a.value.map((v) => (v.address ?? '').toLowerCase())).filter(Boolean);
}
