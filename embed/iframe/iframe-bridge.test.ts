import { expect } from '@open-wc/testing';
import { hostMessage, parentOrigin, readFragment } from './iframe-bridge.ts';

describe('iframe bridge', () => {
  it('reads token, page, theme and filters from the fragment, leaving out malformed parts', () => {
    const filters = encodeURIComponent(JSON.stringify({ region: 'West' }));
    expect(readFragment(`#token=a.b.c&page=customers&theme=dark&filters=${filters}`)).to.deep.equal({ token: 'a.b.c', page: 'customers', theme: 'dark', filters: { region: 'West' } });
    expect(readFragment('#token=t&theme=neon&filters=%7Bnot-json')).to.deep.equal({ token: 't', page: null, theme: null, filters: {} });
    expect(readFragment('#filters=%5B1%2C2%5D').filters).to.deep.equal({});
    expect(readFragment('').token).to.equal(null);
  });

  it('obeys only well-formed host messages', () => {
    expect(hostMessage({ type: 'insight:set-filters', filters: { region: 'East' } })).to.deep.equal({ type: 'insight:set-filters', filters: { region: 'East' } });
    expect(hostMessage({ type: 'insight:set-state', state: { page: 'customers', filters: 'x', extra: 1 } })).to.deep.equal({ type: 'insight:set-state', state: { page: 'customers' } });
    expect(hostMessage({ type: 'insight:token', token: 'next' })).to.deep.equal({ type: 'insight:token', token: 'next' });
    expect(hostMessage({ type: 'insight:refresh' })).to.deep.equal({ type: 'insight:refresh' });
    for (const bad of [null, 'insight:refresh', [], { type: 'insight:set-filters', filters: [1] }, { type: 'insight:token', token: '' }, { type: 'insight:token', token: 7 }, { type: 'insight:resize', height: 10 }, { type: 'other' }]) {
      expect(hostMessage(bad), JSON.stringify(bad)).to.equal(undefined);
    }
  });

  it('takes the parent origin from ancestorOrigins, else from the referrer', () => {
    const withAncestors = { ancestorOrigins: { length: 1, item: () => 'https://host.example' } } as unknown as Location;
    expect(parentOrigin(withAncestors, 'https://other.example/page')).to.equal('https://host.example');
    const without = {} as Location;
    expect(parentOrigin(without, 'https://host.example/app?x=1')).to.equal('https://host.example');
    expect(parentOrigin(without, '')).to.equal(undefined);
    expect(parentOrigin(without, 'not a url')).to.equal(undefined);
  });
});
