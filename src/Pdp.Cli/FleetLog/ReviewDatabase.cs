using System.Data;
using Npgsql;
using Pdp.Review.Postgres.Store;

namespace Pdp.Cli.FleetLog;

/// <summary>
/// The review database as the verbs that read it (<c>audit verify --database</c>, <c>report --database</c>) open it:
/// the connection string checked without echoing it, one read-only repeatable-read snapshot, and failures turned
/// into one line naming host, port and database (never the password).
/// </summary>
internal static class ReviewDatabase
{
    /// <summary>Where the connection string is read from when <c>--database</c> is not given, so a password need not be on the command line.</summary>
    public const string Variable = "PDP_AUDIT_DATABASE";

    /// <summary>The connection string from the environment, or null.</summary>
    public static string? FromEnvironment() =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value && !string.IsNullOrWhiteSpace(value) ? value : null;

    /// <summary>The parsed connection string with <paramref name="applicationName"/> set, or null after saying it is not valid.</summary>
    public static NpgsqlConnectionStringBuilder? Parse(CliIo io, string database, string applicationName)
    {
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(database);
            builder.ApplicationName ??= applicationName;
            return builder;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidCastException)
        {
            // Not e.Message: it may quote part of the string.
            io.Fail("the review database connection string (--database or " + Variable + ") is not valid");
            return null;
        }
    }

    /// <summary><c>host:port/database</c>, for messages.</summary>
    public static string Target(NpgsqlConnectionStringBuilder builder) => $"{builder.Host ?? "localhost"}:{builder.Port}/{builder.Database ?? builder.Username ?? "?"}";

    /// <summary>Runs <paramref name="read"/> in one read-only repeatable-read transaction, so everything it reads is one snapshot.</summary>
    public static T InSnapshot<T>(NpgsqlConnectionStringBuilder builder, Func<NpgsqlConnection, NpgsqlTransaction, T> read)
    {
        using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        using var connection = dataSource.OpenConnection();
        using var transaction = connection.BeginTransaction(IsolationLevel.RepeatableRead);
        using (var readOnly = new NpgsqlCommand("SET TRANSACTION READ ONLY", connection, transaction))
        {
            readOnly.ExecuteNonQuery();
        }

        return read(connection, transaction);
    }

    /// <summary>Whether <paramref name="e"/> means the database could not be read (rather than a bug).</summary>
    public static bool IsFailure(Exception e) => e is NpgsqlException or TimeoutException || StoreFailures.IsUnavailable(e);

    /// <summary>Says the database at <paramref name="target"/> could not be read, and why, without the connection string.</summary>
    public static void Fail(CliIo io, string target, Exception e)
    {
        var hint = e is PostgresException { SqlState: PostgresErrorCodes.UndefinedTable } ? " (not a review database, or the server has not migrated it yet)" : string.Empty;
        io.Fail($"cannot read the review database at {target}: {StoreFailures.Describe(e)}{hint}");
    }
}
