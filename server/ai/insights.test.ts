import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { analyzeResultSet, findOutliers, linearTrend, quartiles } from './insights.ts';
import { createLlmClient } from './llm-client.ts';
import { narrateAnalysis } from './narrate-analysis.ts';
import { startScriptedModel, type ScriptedModel } from './testing/scripted-model.ts';

const months = ['2024-01-01', '2024-02-01', '2024-03-01', '2024-04-01', '2024-05-01', '2024-06-01'];

describe('statistics', () => {
  it('fits a least-squares line', () => {
    expect(linearTrend([1, 2, 3, 4])).toEqual({ slope: 1, r2: 1 });
    const noisy = linearTrend([10, 8, 9, 7, 6]);
    expect(noisy.slope).toBeCloseTo(-0.9, 5);
    expect(noisy.r2).toBeGreaterThan(0.7);
    expect(linearTrend([5, 5, 5])).toEqual({ slope: 0, r2: 0 });
  });

  it('interpolates quartiles', () => {
    expect(quartiles([1, 2, 3, 4, 5])).toEqual({ q1: 2, median: 3, q3: 4 });
    expect(quartiles([1, 2, 3, 4])).toEqual({ q1: 1.75, median: 2.5, q3: 3.25 });
  });

  it('flags values beyond the IQR fences and by z-score, and nothing in a tight cluster', () => {
    const values = [10, 11, 9, 10, 12, 11, 10, 95].map((value, i) => ({ label: `p${i}`, value }));
    const outliers = findOutliers(values);
    expect(outliers.map((o) => o.label)).toEqual(['p7']);
    expect(outliers[0]?.z).toBeGreaterThan(2);
    expect(findOutliers([10, 11, 9, 10, 12, 11].map((value, i) => ({ label: `p${i}`, value })))).toEqual([]);
  });
});

describe('analyzeResultSet', () => {
  it('reports a falling trend, the latest change and who drove it', () => {
    const rows: unknown[][] = [];
    months.forEach((month, i) => {
      rows.push([month, 'West', 1000 - i * 150]);
      rows.push([month, 'East', 500 - i * 10]);
    });
    const analysis = analyzeResultSet({
      columns: [{ name: 'month', type: 'date' }, { name: 'region', type: 'string' }, { name: 'revenue', type: 'number' }],
      rows,
    });
    const kinds = analysis.insights.map((i) => i.kind);
    expect(kinds).toEqual(expect.arrayContaining(['trend', 'change', 'contributors']));
    const trend = analysis.insights.find((i) => i.kind === 'trend');
    expect(trend?.title).toBe('Revenue is falling');
    expect(trend?.importance).toBe('high');
    // 1500 -> 1350 in January, 1500 - 6*160 + 160 = 700 in June, 860 in May.
    const change = analysis.insights.find((i) => i.kind === 'change');
    expect(change?.detail).toContain('700');
    expect(change?.detail).toContain('860');
    expect(change?.title).toBe('Revenue fell 18.6% in the latest period');
    const contributors = analysis.insights.find((i) => i.kind === 'contributors');
    expect(contributors?.title).toBe('West drove most of the decrease');
    expect(contributors?.detail).toContain('West -150 (93.8%)');
    expect(analysis.recommendations[0]?.title).toBe('Investigate the drop in revenue');
    expect(analysis.summary).toContain('12 rows of revenue by region over time');
  });

  it('reports concentration and an outlying category', () => {
    const analysis = analyzeResultSet({
      columns: [{ name: 'customer' }, { name: 'revenue' }],
      rows: [['Ava', 9000], ['Ben', 300], ['Chloe', 280], ['Dan', 310], ['Emma', 290], ['Felix', 305]],
    });
    const concentration = analysis.insights.find((i) => i.kind === 'concentration');
    expect(concentration?.title).toBe('Ava accounts for most of the revenue');
    expect(concentration?.detail).toContain('85.8%');
    expect(concentration?.importance).toBe('high');
    const outlier = analysis.insights.find((i) => i.kind === 'outlier');
    expect(outlier?.title).toBe('Ava is unusually high');
    expect(analysis.recommendations.map((r) => r.title)).toEqual(expect.arrayContaining(['Reduce dependence on Ava', 'Check Ava']));
  });

  it('says when there is nothing numeric to analyse', () => {
    const analysis = analyzeResultSet({ columns: [{ name: 'name', type: 'string' }], rows: [['a'], ['b']] });
    expect(analysis.insights).toEqual([]);
    expect(analysis.recommendations[0]?.title).toBe('Add a measure');
    expect(analyzeResultSet({ columns: [{ name: 'n', type: 'number' }], rows: [] }).summary).toBe('The result has no rows.');
  });
});

describe('narrateAnalysis', () => {
  let model: ScriptedModel;
  beforeAll(async () => {
    model = await startScriptedModel();
  });
  afterAll(async () => {
    await model.close();
  });

  const analysis = analyzeResultSet({
    columns: [{ name: 'customer' }, { name: 'revenue' }],
    rows: [['Ava', 9000], ['Ben', 300], ['Chloe', 280], ['Dan', 310], ['Emma', 290], ['Felix', 305]],
  });

  it('uses the model summary when it keeps to the computed numbers', async () => {
    model.use(() => JSON.stringify({ summary: 'Ava brings in 85.8% of the 10,485 total revenue, far above everyone else.' }));
    const llm = createLlmClient({ apiKey: 'test', baseUrl: model.url, model: 'scripted', timeoutMs: 5000 });
    const narrated = await narrateAnalysis(llm, analysis);
    expect(narrated.narratedBy).toBe('llm');
    expect(narrated.summary).toContain('85.8%');
    expect(narrated.insights).toEqual(analysis.insights);
    // The model saw the computed facts only.
    expect(model.requests[0]?.messages.at(-1)?.content).toContain('Ava accounts for most of the revenue');
  });

  it('keeps the computed summary when the model invents a number', async () => {
    model.use(() => JSON.stringify({ summary: 'Revenue will grow 40% next quarter.' }));
    const llm = createLlmClient({ apiKey: 'test', baseUrl: model.url, model: 'scripted', timeoutMs: 5000 });
    const narrated = await narrateAnalysis(llm, analysis);
    expect(narrated.narratedBy).toBe('statistics');
    expect(narrated.summary).toBe(analysis.summary);
  });

  it('keeps the computed summary when the model fails', async () => {
    model.use(() => ({ status: 500 }));
    const llm = createLlmClient({ apiKey: 'test', baseUrl: model.url, model: 'scripted', timeoutMs: 5000 });
    expect((await narrateAnalysis(llm, analysis)).narratedBy).toBe('statistics');
  });
});
