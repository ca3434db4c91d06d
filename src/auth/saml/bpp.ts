import { DOMParser, type Element, type Node } from '@xmldom/xmldom';

export const BPP_NAMESPACES = [
  'http://itst.dk/oiosaml/basic_privilege_profile',
  'http://digst.dk/oiosaml/basic_privilege_profile',
];
const SCOPE_PREFIX = 'urn:dk:gov:saml:cvrnumberidentifier:';

/** A Constraint of a privilege group (OIO-BPP 1.2), e.g. KLE or sensitivity; kept for later use. */
export type BppConstraint = { name: string; value: string };
export type PrivilegeGroup = { cvr: string; privileges: string[]; constraints: BppConstraint[] };

export class BppError extends Error {}

const elementChildren = (node: Node): Element[] =>
  Array.from(node.childNodes).filter((n) => n.nodeType === 1) as unknown as Element[];

/**
 * A child of the list belongs to the profile when it is unqualified (as the spec's example, KOMBIT's
 * samples and the common IdPs write it), or in one of the profile's namespaces (prefixed or default).
 */
const isBppElement = (el: Element, localName: string): boolean =>
  el.localName === localName &&
  (el.namespaceURI === null || el.namespaceURI === '' || BPP_NAMESPACES.includes(el.namespaceURI));

/** Parses an OIO-BPP PrivilegeList (base64 or XML); refuses DTDs and entities. Groups scoped to anything but a CVR are left out. */
export function parseBpp(value: string): PrivilegeGroup[] {
  const trimmed = value.trim();
  const xml = (trimmed.startsWith('<') ? trimmed : Buffer.from(trimmed, 'base64').toString('utf8')).replace(
    /^\uFEFF/,
    '',
  );
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
  for (const group of elementChildren(root)) {
    if (!isBppElement(group, 'PrivilegeGroup')) continue;
    const scope = (group.getAttribute('Scope') ?? '').trim();
    if (!scope.toLowerCase().startsWith(SCOPE_PREFIX)) continue;
    const cvr = scope.slice(SCOPE_PREFIX.length).trim();
    const children = elementChildren(group);
    const privileges = children
      .filter((el) => isBppElement(el, 'Privilege'))
      .map((el) => (el.textContent ?? '').trim())
      .filter(Boolean);
    const constraints = children
      .filter((el) => isBppElement(el, 'Constraint'))
      .map((el) => ({ name: (el.getAttribute('Name') ?? '').trim(), value: (el.textContent ?? '').trim() }))
      .filter((c) => c.name);
    groups.push({ cvr, privileges, constraints });
  }
  return groups;
}

/**
 * Builds a base64 BPP for the development IdP, in the form production sends: the list prefixed,
 * its groups, privileges and constraints unqualified.
 */
export function buildBpp(
  groups: Array<Omit<PrivilegeGroup, 'constraints'> & { constraints?: BppConstraint[] }>,
  ns = BPP_NAMESPACES[0],
): string {
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');
  const body = groups
    .map(
      (g) =>
        `\n  <PrivilegeGroup Scope="urn:dk:gov:saml:cvrNumberIdentifier:${esc(g.cvr)}">` +
        g.privileges.map((p) => `\n    <Privilege>${esc(p)}</Privilege>`).join('') +
        (g.constraints ?? [])
          .map((c) => `\n    <Constraint Name="${esc(c.name)}">${esc(c.value)}</Constraint>`)
          .join('') +
        '\n  </PrivilegeGroup>',
    )
    .join('');
  const xml =
    `<?xml version="1.0" encoding="UTF-8"?>\n<bpp:PrivilegeList xmlns:bpp="${ns}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
    `${body}\n</bpp:PrivilegeList>`;
  return Buffer.from(xml, 'utf8').toString('base64');
}
