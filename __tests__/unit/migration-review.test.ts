import path from 'node:path';
import {
  annotationFile,
  planText,
  type MigrationReview
} from '../../src/django/migration-review.js';
import { reviewHtml } from '../../src/summary-review.js';

const review: MigrationReview = {
  database: 'default',
  engine: 'django.db.backends.postgresql',
  applied: [],
  planOnly: true,
  lint: { level: 'error', findings: 1, allowed: 1 },
  plan: [
    {
      label: 'shop.0002_remove_customer_legacy_code',
      app: 'shop',
      name: '0002_remove_customer_legacy_code',
      file: 'shop/migrations/0002_remove_customer_legacy_code.py',
      atomic: true,
      sql: 'BEGIN;\nALTER TABLE "shop_customer" DROP COLUMN "legacy_code" CASCADE;\nCOMMIT;',
      sql_error: null,
      lint_error: null,
      operations: [
        {
          index: 0,
          type: 'RemoveField',
          description: 'Remove field legacy_code from customer',
          line: 13
        }
      ],
      findings: [
        {
          rule: 'remove-field',
          message: 'RemoveField shop_customer.legacy_code drops a column <b>.',
          fix: 'Keep the column.',
          operation: 0,
          line: 13,
          allowed: false,
          allow_reason: null,
          external: false
        }
      ]
    },
    {
      label: 'shop.0003_remove_order_note',
      app: 'shop',
      name: '0003_remove_order_note',
      file: 'shop/migrations/0003_remove_order_note.py',
      atomic: true,
      sql: 'BEGIN;\nCOMMIT;',
      sql_error: null,
      lint_error: null,
      operations: [],
      findings: [
        {
          rule: 'remove-field',
          message: 'm',
          fix: 'f',
          operation: 0,
          line: 14,
          allowed: true,
          allow_reason: 'unused since release 1',
          external: false
        }
      ]
    }
  ]
};

describe('the migration review', () => {
  it('annotates project files relative to the workspace, never site-packages', () => {
    expect(annotationFile('shop/migrations/0002_x.py', '/w/backend', '/w')).toBe(
      'backend/shop/migrations/0002_x.py'
    );
    expect(
      annotationFile(path.join('/usr/lib/python3/site-packages/x.py'), '/w', '/w')
    ).toBeUndefined();
    expect(annotationFile(null, '/w', '/w')).toBeUndefined();
  });

  it('the summary: each migration collapsible with its SQL, unsafe ones open, HTML escaped', () => {
    const html = reviewHtml(review);
    expect(html).toContain('Migration review: 2 pending on <code>default</code>');
    expect(html).toContain('plan only: nothing applied');
    expect(html).toContain('❌ 1 unsafe operation, 1 allowed by an opt-out comment');
    expect(html).toMatch(
      /<details open><summary>⚠️ <code>shop\.0002_remove_customer_legacy_code<\/code>/
    );
    expect(html).toMatch(/<details><summary>⏳ <code>shop\.0003_remove_order_note<\/code>/);
    expect(html).toContain('DROP COLUMN &quot;legacy_code&quot;');
    expect(html).toContain('drops a column &lt;b&gt;.');
    expect(html).toContain('allowed (line 14): unused since release 1');
  });

  it('the text plan lists findings and SQL per migration', () => {
    const text = planText(review);
    expect(text).toContain(
      '-- shop.0002_remove_customer_legacy_code (shop/migrations/0002_remove_customer_legacy_code.py)'
    );
    expect(text).toContain('--   [remove-field] line 13:');
    expect(text).toContain('--   [allowed: unused since release 1] line 14:');
    expect(text).toContain('DROP COLUMN "legacy_code"');
  });

  it('no pending migrations says the database is up to date', () => {
    expect(reviewHtml({ ...review, plan: [] })).toContain('the database is up to date');
  });
});
