import path from 'node:path';
import ejs from 'ejs';
import { viewsDir } from '../shared/paths.js';

export type TemplateName = 'invitation' | 'reminder' | 'results' | 'kombit-results' | 'test-passed';

const dir = path.join(viewsDir, 'mail', 'messages');

/** Renders a message's HTML and plain-text parts from views/mail/messages/<name>.{html,text}.ejs. */
export async function renderMail(
  name: TemplateName,
  data: Record<string, unknown>,
): Promise<{ html: string; text: string }> {
  const [html, text] = await Promise.all([
    ejs.renderFile(path.join(dir, `${name}.html.ejs`), data, { async: false }),
    ejs.renderFile(path.join(dir, `${name}.text.ejs`), data, { async: false }),
  ]);
  // Plain text: no runs of blank lines left by template logic.
  return {
    html,
    text:
      text
        .replace(/\r\n/g, '\n')
        .replace(/[ \t]+\n/g, '\n')
        .replace(/\n{3,}/g, '\n\n')
        .trim() + '\n',
  };
}
