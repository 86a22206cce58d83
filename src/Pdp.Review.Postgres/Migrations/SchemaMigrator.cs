using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Pdp.Review.Postgres.Migrations;

/// <summary>
/// Brings the review database to this binary's schema at startup. Every instance of the fleet runs it; the first to
/// get the lock applies what is missing, the rest find nothing to do. A database newer than this binary is refused.
/// </summary>
public sealed partial class SchemaMigrator
{
    /// <summary>The schema version this binary reads and writes: the newest migration in Migrations/.</summary>
    public const int CurrentVersion = 3;

    // Any fixed number will do, as long as nothing else in the database uses it: "PdpSchma" in ASCII.
    private const long AdvisoryLockKey = 0x5064_7053_6368_6D61;

    private static readonly Lazy<IReadOnlyList<Migration>> Migrations = new(() => Migration.LoadAll(CurrentVersion));

    private readonly ILogger _logger;

    /// <summary>Creates a migrator that reports what it applied to <paramref name="logger"/>, if given.</summary>
    public SchemaMigrator(ILogger<SchemaMigrator>? logger = null)
    {
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>
    /// Applies every migration the database lacks, in order, in one transaction: either all of them are applied or
    /// none is. Concurrent callers on the same database are serialized by a transaction-level advisory lock.
    /// </summary>
    /// <exception cref="SchemaTooNewException">The database is at a version above <see cref="CurrentVersion"/>.</exception>
    public Task<MigrationReport> MigrateAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken) =>
        MigrateAsync(dataSource, CurrentVersion, cancellationToken);

    /// <summary>Migrates up to <paramref name="targetVersion"/> only: how tests make a database at an older version.</summary>
    internal async Task<MigrationReport> MigrateAsync(NpgsqlDataSource dataSource, int targetVersion, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentOutOfRangeException.ThrowIfNegative(targetVersion);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(targetVersion, CurrentVersion);
        var migrations = Migrations.Value;

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        // Held until commit or rollback: a second instance waits here, then sees the version the first one left.
        await using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock($1)", connection, transaction))
        {
            lockCommand.Parameters.Add(new NpgsqlParameter<long> { TypedValue = AdvisoryLockKey });
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await ExecuteAsync(
            connection,
            transaction,
            """
            CREATE TABLE IF NOT EXISTS pdp_schema (
              version     int PRIMARY KEY,
              description text NOT NULL,
              applied_at  timestamptz NOT NULL DEFAULT now()
            )
            """,
            cancellationToken).ConfigureAwait(false);

        int from;
        await using (var versionCommand = new NpgsqlCommand("SELECT coalesce(max(version), 0) FROM pdp_schema", connection, transaction))
        {
            from = (int)(await versionCommand.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        if (from > CurrentVersion)
        {
            throw new SchemaTooNewException(from, CurrentVersion);
        }

        var applied = new List<int>();
        foreach (var migration in migrations.Where(m => m.Version > from && m.Version <= targetVersion))
        {
            await ExecuteAsync(connection, transaction, migration.Sql, cancellationToken).ConfigureAwait(false);
            await using var record = new NpgsqlCommand("INSERT INTO pdp_schema (version, description) VALUES ($1, $2)", connection, transaction);
            record.Parameters.Add(new NpgsqlParameter<int> { TypedValue = migration.Version });
            record.Parameters.Add(new NpgsqlParameter<string> { TypedValue = migration.Description });
            await record.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            applied.Add(migration.Version);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);

        var to = Math.Max(from, targetVersion);
        if (applied.Count > 0)
        {
            LogMigrated(_logger, from, to);
        }

        return new MigrationReport(from, to, applied);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Review database schema migrated from version {From} to {To}")]
    private static partial void LogMigrated(ILogger logger, int from, int to);

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
