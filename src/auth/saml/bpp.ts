import { DOMParser, type Element } from '@xmldom/xmldom';

export const BPP_NAMESPACES = [
  'http://itst.dk/oiosaml/basic_privilege_profile',
  'http://digst.dk/oiosaml/basic_privilege_profile',
];
const SCOPE_PREFIX = 'urn:dk:gov:saml:cvrnumberidentifier:';

export type PrivilegeGroup = { cvr: string; privileges: string[] };

export class BppError extends Error {}

/** Parses an OIO-BPP PrivilegeList (base64 or XML); refuses DTDs and entities. */
export function parseBpp(value: string): PrivilegeGroup[] {
  const trimmed = value.trim();
  const xml = trimmed.startsWith('<') ? trimmed : Buffer.from(trimmed, 'base64').toString('utf8');
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) throw new BppError('BPP indeholder en DTD eller entitet');
  const errors: string[] = [];
  let doc;
  try {
    doc = new DOMParser({
      onError: (level, msg) => {
        if (level !== 'warning') errors.push(msg);
      },
    }).parseFromString(xml, 'text/xml');
  } catch {
    throw new BppError('BPP er ikke gyldig XML');
  }
  if (errors.length || !doc.documentElement) throw new BppError('BPP er ikke gyldig XML');
  const root = doc.documentElement;
  if (root.localName !== 'PrivilegeList' || !BPP_NAMESPACES.includes(root.namespaceURI ?? '')) {
    throw new BppError('BPP har ikke en PrivilegeList i et kendt navnerum');
  }
  const groups: PrivilegeGroup[] = [];
  const children = Array.from(root.childNodes).filter((n) => n.nodeType === 1) as unknown as Element[];
  for (const group of children) {
    if (group.localName !== 'PrivilegeGroup') continue;
    const scope = (group.getAttribute('Scope') ?? '').trim();
    if (!scope.toLowerCase().startsWith(SCOPE_PREFIX)) continue;
    const cvr = scope.slice(SCOPE_PREFIX.length);
    const privileges = (Array.from(group.getElementsByTagNameNS(root.namespaceURI ?? '', 'Privilege')) as Element[])
      .map((p) => (p.textContent ?? '').trim())
      .filter(Boolean);
    groups.push({ cvr, privileges });
  }
  return groups;
}

/** Builds a base64 BPP (used by the development IdP and tests). */
export function buildBpp(groups: PrivilegeGroup[], ns = BPP_NAMESPACES[0]): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  const body = groups
    .map(
      (g) =>
        `<bpp:PrivilegeGroup Scope="urn:dk:gov:saml:cvrNumberIdentifier:${esc(g.cvr)}">` +
        g.privileges.map((p) => `<bpp:Privilege>${esc(p)}</bpp:Privilege>`).join('') +
        '</bpp:PrivilegeGroup>',
    )
    .join('');
  const xml = `<?xml version="1.0" encoding="UTF-8"?><bpp:PrivilegeList xmlns:bpp="${ns}">${body}</bpp:PrivilegeList>`;
  return Buffer.from(xml, 'utf8').toString('base64');
}
