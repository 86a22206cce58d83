namespace Pdp.Review.Postgres.Migrations;

/// <summary>What <see cref="SchemaMigrator.MigrateAsync(Npgsql.NpgsqlDataSource, CancellationToken)"/> did.</summary>
/// <param name="FromVersion">The schema version the database was at (0: a database Pdp had never used).</param>
/// <param name="ToVersion">The schema version it is at now.</param>
/// <param name="Applied">The migrations this call applied, in order; empty when another instance got there first.</param>
public sealed record MigrationReport(int FromVersion, int ToVersion, IReadOnlyList<int> Applied);
