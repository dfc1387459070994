"""Reorders README.md: general sections, the catalogue table (built from the row comments),
one section per domain with its patterns in ID order, then deployment and verification."""
import re
src = open('README.md').read()
parts = re.split(r'(?m)^(?=## )', src)
preamble, sections = parts[0], parts[1:]
DOMAINS = [('cicd', '## cicd: SDLC automation'), ('iac', '## iac: configuration management and infrastructure as code'),
           ('resilience', '## resilience: resilient cloud solutions'), ('observability', '## observability: monitoring and logging'),
           ('response', '## response: incident and event response'), ('security', '## security: security and compliance')]
PREFIX = {'cicd': 'CICD', 'iac': 'IAC', 'resilience': 'RES', 'observability': 'OBS', 'response': 'RSP', 'security': 'SEC'}
general, tail, domain_intro, patterns, rows = [], [], {}, {}, {}
table_header = None
for sec in sections:
    title = sec.split('\n', 1)[0]
    dom = next((d for d, h in DOMAINS if title.strip() == h), None)
    if dom is None:
        if title.startswith('## Patterns'):
            for line in sec.split('\n'):
                m = re.match(r'^\| \[?([A-Z]+-\d+)\]?', line)
                if m and line.count('|') >= 5: rows.setdefault(m.group(1), line)
            continue
        (tail if title.startswith(('## Multi-account', '## Deploying', '## Verifying')) else general).append(sec)
        continue
    subs = re.split(r'(?m)^(?=### )', sec)
    intro = subs[0]
    # row comments may sit in the intro (before the ### heading they belong to) or inside the subsection
    pending = []
    for line in intro.split('\n'):
        m = re.match(r'^<!-- row: (\|.*\|) -->$', line.strip())
        if m: pending.append(m.group(1))
    intro_text = '\n'.join(l for l in intro.split('\n')[1:] if not l.strip().startswith('<!-- row:')).strip()
    if intro_text: domain_intro.setdefault(dom, []).append(intro_text)
    for sub in subs[1:]:
        m = re.match(r'^### ([A-Z]+-\d+)', sub)
        if not m:
            domain_intro.setdefault(dom, []).append(sub.strip()); continue
        pid = m.group(1)
        body = []
        for line in sub.split('\n'):
            r = re.match(r'^<!-- row: (\|.*\|) -->$', line.strip())
            if r:
                rows[re.match(r'^\| ([A-Z]+-\d+) \|', r.group(1)).group(1)] = r.group(1)
                continue
            body.append(line)
        # a row comment placed just before the next ### belongs to that next pattern
        text = '\n'.join(body).rstrip()
        patterns[pid] = text
    for r in pending:
        rid = re.match(r'^\| ([A-Z]+-\d+) \|', r).group(1)
        rows[rid] = r
def key(pid):
    p, n = pid.split('-'); order = [PREFIX[d] for d, _ in DOMAINS]
    return (order.index(p), int(n))
def fmt_row(r):
    cells = [c.strip() for c in r.strip().strip('|').split('|')]
    pid, construct, notes, stacks = cells[0], cells[1], ' | '.join(cells[2:-1]), cells[-1]
    construct = ', '.join(f'`{c.strip().strip("`")}`' for c in construct.split(',') if c.strip())
    stacks = ', '.join(f'`{s.strip().strip("`")}`' for s in re.split(r',', stacks) if s.strip())
    heading = re.search(rf'(?m)^### ({re.escape(pid)}[^\n]*)', patterns.get(pid, '') or f'### {pid}').group(1)
    anchor = '#' + re.sub(r'[^a-z0-9 -]', '', heading.lower()).replace(' ', '-')
    return f'| [{pid}]({anchor}) | {construct} | {notes} | {stacks} |'
out = [preamble.rstrip() + '\n']
for g in general: out.append(g.rstrip() + '\n')
table = ['## Patterns', '', 'Every pattern of the catalogue that the library implements, in catalogue order. The notes column says which notes it turns into infrastructure; the example stacks are in `cdk synth`.', '',
         '| ID | Construct | Notes covered | Example stacks |', '|---|---|---|---|']
for pid in sorted(rows, key=key):
    table.append(rows[pid] if rows[pid].startswith('| [') else fmt_row(rows[pid]))
out.append('\n'.join(table) + '\n')
for dom, heading in DOMAINS:
    pids = sorted([p for p in patterns if p.startswith(PREFIX[dom] + '-')], key=key)
    if not pids: continue
    block = [heading, '']
    for t in domain_intro.get(dom, []): block += [t, '']
    for p in pids: block += [patterns[p].strip(), '']
    out.append('\n'.join(block).rstrip() + '\n')
for t in tail: out.append(t.rstrip() + '\n')
open('README.md', 'w').write('\n'.join(out))
missing = [p for p in patterns if p not in rows]
print('patterns', len(patterns), 'rows', len(rows), 'missing rows', missing)
