using Npgsql;
using Pdp.Review.Postgres.Migrations;
using Xunit;

namespace Pdp.Review.Postgres.Tests;

public sealed class MigrationTests
{
    private static readonly TimeSpan Timeout = TestDatabase.Timeout;

    private static readonly string[] Tables =
        ["pdp_schema", "review_decisions", "review_events", "review_chain_head", "fleet_decisions", "fleet_trails"];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Migrate_EmptyDatabase_CreatesCurrentSchema()
    {
        await using var db = await TestDatabase.CreateAsync("migrate_empty", Ct);

        var report = await new SchemaMigrator().MigrateAsync(db.DataSource, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(0, report.FromVersion);
        Assert.Equal(SchemaMigrator.CurrentVersion, report.ToVersion);
        Assert.Equal(Enumerable.Range(1, SchemaMigrator.CurrentVersion), report.Applied);
        foreach (var table in Tables)
        {
            Assert.True(await db.ScalarAsync<bool>($"SELECT to_regclass('public.{table}') IS NOT NULL", Ct), $"table {table} missing");
        }

        Assert.Equal(SchemaMigrator.CurrentVersion, await db.ScalarAsync<int>("SELECT max(version) FROM pdp_schema", Ct));
        Assert.Equal("review state shared by every instance, and its hash chain", await db.ScalarAsync<string>("SELECT description FROM pdp_schema WHERE version = 1", Ct));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT seq FROM review_chain_head WHERE id = 1", Ct));
    }

    [Fact]
    public async Task Migrate_CurrentDatabase_AppliesNothing()
    {
        await using var db = await TestDatabase.CreateAsync("migrate_current", Ct);
        var migrator = new SchemaMigrator();
        await migrator.MigrateAsync(db.DataSource, Ct).WaitAsync(Timeout, Ct);

        var report = await migrator.MigrateAsync(db.DataSource, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(SchemaMigrator.CurrentVersion, report.FromVersion);
        Assert.Equal(SchemaMigrator.CurrentVersion, report.ToVersion);
        Assert.Empty(report.Applied);
    }

    [Fact]
    public async Task Migrate_DatabaseAtPreviousVersion_AppliesOnlyTheRest()
    {
        await using var db = await TestDatabase.CreateAsync("migrate_previous", Ct);
        var migrator = new SchemaMigrator();
        var first = await migrator.MigrateAsync(db.DataSource, 1, Ct).WaitAsync(Timeout, Ct);
        Assert.Equal((0, 1), (first.FromVersion, first.ToVersion));
        Assert.Equal([1], first.Applied);
        Assert.False(await db.ScalarAsync<bool>("SELECT to_regclass('public.fleet_decisions') IS NOT NULL", Ct));
        var id = Guid.NewGuid();
        await db.ExecuteAsync(
            $$"""
            INSERT INTO review_decisions (decision_id, decided_at, policy_id, approver_group, verdict, state, decision, instance)
            VALUES ('{{id}}', now(), 'p1', 'secops', 'require_human', 'pending', '{"x": 1}', 'pdp-a')
            """,
            Ct);

        var report = await migrator.MigrateAsync(db.DataSource, Ct).WaitAsync(Timeout, Ct);

        Assert.Equal(1, report.FromVersion);
        Assert.Equal(SchemaMigrator.CurrentVersion, report.ToVersion);
        Assert.Equal(Enumerable.Range(2, SchemaMigrator.CurrentVersion - 1), report.Applied);
        Assert.Equal("pending", await db.ScalarAsync<string>($"SELECT state FROM review_decisions WHERE decision_id = '{id}'", Ct));
        Assert.True(await db.ScalarAsync<bool>("SELECT to_regclass('public.fleet_decisions') IS NOT NULL", Ct));
        // 0003: a review from before escalation existed has none, and the notification outbox is there (empty).
        Assert.Equal(string.Empty, await db.ScalarAsync<string>($"SELECT escalation_group FROM review_decisions WHERE decision_id = '{id}'", Ct));
        Assert.Equal(0L, await db.ScalarAsync<long>("SELECT count(*) FROM notify_outbox", Ct));
        Assert.Equal(SchemaMigrator.CurrentVersion, await db.ScalarAsync<long>("SELECT count(*) FROM pdp_schema", Ct));
    }

    [Fact]
    public async Task Migrate_NewerDatabase_RefusesWithClearMessage()
    {
        await using var db = await TestDatabase.CreateAsync("migrate_newer", Ct);
        var migrator = new SchemaMigrator();
        await migrator.MigrateAsync(db.DataSource, Ct).WaitAsync(Timeout, Ct);
        var newer = SchemaMigrator.CurrentVersion + 1;
        await db.ExecuteAsync($"INSERT INTO pdp_schema (version, description) VALUES ({newer}, 'from a newer Pdp')", Ct);

        var error = await Assert.ThrowsAsync<SchemaTooNewException>(() => migrator.MigrateAsync(db.DataSource, Ct)).WaitAsync(Timeout, Ct);

        Assert.Equal(newer, error.DatabaseVersion);
        Assert.Equal(SchemaMigrator.CurrentVersion, error.BinaryVersion);
        Assert.Equal(
            $"the review database is at schema version {newer}, newer than this binary's {SchemaMigrator.CurrentVersion}: upgrade Pdp, or point it at another database",
            error.Message);
        Assert.Equal(newer, await db.ScalarAsync<int>("SELECT max(version) FROM pdp_schema", Ct));
    }

    [Fact]
    public async Task Migrate_TwiceConcurrently_AppliesOnce()
    {
        await using var db = await TestDatabase.CreateAsync("migrate_concurrent", Ct);
        await using var other = NpgsqlDataSource.Create(db.ConnectionString);

        // Two instances starting together, each with its own pool.
        var reports = await Task.WhenAll(
            Task.Run(() => new SchemaMigrator().MigrateAsync(db.DataSource, Ct), Ct),
            Task.Run(() => new SchemaMigrator().MigrateAsync(other, Ct), Ct)).WaitAsync(Timeout, Ct);

        Assert.All(reports, report => Assert.Equal(SchemaMigrator.CurrentVersion, report.ToVersion));
        Assert.Equal(Enumerable.Range(1, SchemaMigrator.CurrentVersion), reports.SelectMany(report => report.Applied).Order());
        Assert.Single(reports, report => report.Applied.Count == 0);
        Assert.Equal(SchemaMigrator.CurrentVersion, await db.ScalarAsync<long>("SELECT count(*) FROM pdp_schema", Ct));
    }
}
