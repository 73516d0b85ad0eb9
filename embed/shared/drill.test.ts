import { expect } from '@open-wc/testing';
import { coerceDrillValue, describeDrill, drillFilters, rowDatum } from './drill.ts';

describe('drill helpers', () => {
  it('maps datum fields to story filters, dates as calendar days, skipping missing values', () => {
    const drill = { page: 'detail', filters: { region: 'region', month: 'period', segment: 'segment' } };
    expect(drillFilters(drill, { region: 'West', month: new Date(2025, 2, 1), revenue: 10 })).to.deep.equal({ region: 'West', period: '2025-03-01' });
    expect(drillFilters(drill, { region: 'West', month: '2025-03-01T00:00:00.000Z', segment: null })).to.deep.equal({ region: 'West', period: '2025-03-01' });
    expect(rowDatum({ columns: [{ name: 'a', type: 'string' }, { name: 'b', type: 'number' }] }, ['x', 2])).to.deep.equal({ a: 'x', b: 2 });
  });

  it('sets filters named like built-in object members as members, never as a prototype', () => {
    const drill = { page: 'detail', filters: { region: '__proto__', constructor: 'constructor' } };
    const out = drillFilters(drill, { region: 'West' });
    expect(Object.keys(out)).to.deep.equal(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')?.value).to.equal('West');
    // A datum without the field does not read its prototype's member.
    expect(Object.keys(drillFilters({ page: 'detail', filters: { toString: 'region' } }, {}))).to.deep.equal([]);
  });

  it('fits a value to the type of the filter it sets', () => {
    expect(coerceDrillValue({ type: 'select' }, 'West')).to.equal('West');
    expect(coerceDrillValue({ type: 'multi_select' }, 'West')).to.deep.equal(['West']);
    expect(coerceDrillValue({ type: 'date_range' }, '2025-03-01')).to.deep.equal({ from: '2025-03-01', to: '2025-03-01' });
    expect(coerceDrillValue({ type: 'range' }, 12)).to.deep.equal({ min: 12, max: 12 });
    expect(coerceDrillValue({ type: 'search' }, 42)).to.equal('42');
    expect(describeDrill({ region: 'West', period: { from: '2025-01-01', to: '2025-03-31' } })).to.equal('West · 2025-01-01 – 2025-03-31');
  });
});
