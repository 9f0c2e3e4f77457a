import { Migration } from '@mikro-orm/migrations';

export class CreateExampleScore extends Migration {
  override up(): void {
    this.addSql('CREATE TABLE example_score (id uuid PRIMARY KEY, label text NOT NULL, score double precision NOT NULL, created_at timestamptz NOT NULL)');
    this.addSql('CREATE INDEX example_score_created_at ON example_score (created_at DESC)');
  }

  override down(): void {
    this.addSql('DROP TABLE example_score');
  }
}
