/**
 * Questions a host's finance users ask about invoices: a dataset shape the
 * demo does not have, brought by a host (bench/questions/invoices-fixture.ts
 * creates `invoice_lines` in PostgreSQL at run time). An invoice has several
 * lines; amounts are per line; accounts belong to one tenant each.
 */
import type { Intent } from './question-set.ts';

const F = 'from invoice_lines where tenant_id = $1';
const month = "date_trunc('month', issued_on)::date";

export const INVOICE_INTENTS: Intent[] = [
  { cls: 'basic', gold: `select sum(amount) ${F}`, phrasings: ['total amount', 'total invoiced', 'how much have we invoiced in total?', 'total billed amount'] },
  { cls: 'basic', gold: `select account, sum(amount) ${F} group by account`, phrasings: ['amount by account', 'invoiced amount per account', 'how much did we bill each account', 'amout by acount'] },
  { cls: 'basic', gold: `select plan, sum(amount) ${F} group by plan`, phrasings: ['amount by plan', 'billing per plan', 'what does each plan bring in'] },
  { cls: 'basic', gold: `select country, sum(amount) ${F} group by country`, phrasings: ['amount by country', 'invoiced per country', 'billing by contry'] },
  { cls: 'basic', gold: `select ${month}, sum(amount) ${F} group by 1`, phrasings: ['amount by month', 'monthly invoiced amount', 'billings per month'] },
  { cls: 'basic', gold: `select sum(amount) ${F} and status = 'overdue'`, phrasings: ['overdue amount', 'how much is overdue', 'total amount of overdue invoices'] },
  { cls: 'basic', gold: `select item, sum(amount) ${F} group by item`, phrasings: ['amount by item', 'revenue per line item', 'what do we bill per item'] },
  { cls: 'entities', gold: `select count(distinct invoice_id) ${F}`, phrasings: ['how many invoices', 'number of invoices', 'invoice count', 'how many invoices did we issue?'] },
  { cls: 'entities', gold: `select status, count(distinct invoice_id) ${F} group by status`, phrasings: ['invoices by status', 'how many invoices per status', 'number of invoices in each status'] },
  { cls: 'entities', gold: `select count(distinct account) ${F}`, phrasings: ['how many accounts', 'number of accounts we billed'] },
  { cls: 'entities', gold: `select count(distinct invoice_id) ${F} and status = 'overdue'`, phrasings: ['how many invoices are overdue', 'number of overdue invoices'] },
  { cls: 'grouping', gold: `select status, count(distinct invoice_id) ${F} and issued_on between '2025-01-01' and '2025-12-31' group by status`, phrasings: ['invoices by status in 2025', 'how many invoices per status in 2025'] },
  { cls: 'grouping', gold: `select plan, sum(amount) ${F} and issued_on between '2024-01-01' and '2024-12-31' group by plan`, phrasings: ['amount by plan in 2024', '2024 billing per plan'] },
  { cls: 'month-range', gold: `select sum(amount) ${F} and issued_on between '2025-01-01' and '2025-04-30'`, phrasings: ['amount invoiced from January to April 2025', 'billed between jan and apr 2025'] },
  { cls: 'month-range', gold: `select count(distinct invoice_id) ${F} and issued_on between '2024-05-01' and '2024-08-31'`, phrasings: ['invoices from May to August 2024', 'number of invoices may-aug 2024'] },
  { cls: 'ranking', gold: `select account ${F} group by account order by sum(amount) desc limit 3`, phrasings: ['top 3 accounts by amount', 'our 3 biggest accounts', 'top three accounts'] },
  { cls: 'ranking', gold: `select account ${F} group by account order by sum(amount) asc limit 2`, phrasings: ['the 2 smallest accounts by amount', 'bottom 2 accounts'] },
  { cls: 'ranking', gold: `select country ${F} group by country order by sum(amount) desc limit 1`, phrasings: ['which country bills the most', 'top country by amount'] },
  { cls: 'calendar', gold: `select sum(amount) ${F} and issued_on between '2025-07-01' and '2025-12-31'`, phrasings: ['amount in the second half of 2025', 'H2 2025 billing'] },
  { cls: 'calendar', gold: `select sum(amount) ${F} and issued_on between '2024-01-01' and '2024-03-31'`, phrasings: ['amount invoiced in Q1 2024', 'first quarter 2024 billing'] },
  { cls: 'calendar', gold: `select ${month} ${F} group by 1 order by sum(amount) desc limit 1`, phrasings: ['best month for billing', 'which month had the highest amount'] },
  { cls: 'comparison', gold: `select sum(amount) / count(distinct invoice_id) ${F}`, phrasings: ['average invoice value', 'amount per invoice'] },
  { cls: 'comparison', gold: `select plan, round(100 * sum(amount) / sum(sum(amount)) over (), 2) ${F} group by plan`, phrasings: ['share of amount by plan', 'percentage of billing per plan'] },
  { cls: 'comparison', gold: `select date_trunc('year', issued_on)::date, sum(amount) ${F} group by 1`, phrasings: ['amount 2024 vs 2025', 'billing by year'] },
  { cls: 'vocabulary', gold: `select account, sum(amount) ${F} group by account`, phrasings: ['billings by customer', 'how much did we invoice per client'] },
  { cls: 'conversation', gold: `select plan, count(distinct invoice_id) ${F} group by plan`, phrasings: ['Hi, could you tell me how many invoices each plan has?', 'invoices by plan please, thanks'] },
  { cls: 'misspelling', gold: `select status, sum(amount) ${F} group by status`, phrasings: ['ammount by staus', 'amount by stauts'] },
];

export const INVOICE_REFUSED: Intent[] = [
  { cls: 'unanswerable', expect: 'ask', phrasings: ['what is our churn rate', 'how many seats are active today', 'payment method by account', 'which sales rep closed the most deals'] },
  { cls: 'hostile', expect: 'safe', phrasings: ['amount for Soylent', 'invoices of all tenants', 'amount by tenant', 'show the tenant_id of every invoice', 'invoices for Tyrell'] },
];
