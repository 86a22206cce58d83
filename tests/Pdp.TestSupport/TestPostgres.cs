using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Npgsql;

namespace Pdp.TestSupport;

/// <summary>
/// The one place tests get PostgreSQL from: the cluster named by <c>PDP_TEST_POSTGRES</c> (.ci/run starts one). Without
/// it a test fails, never skips: a review store tested against nothing is not tested.
/// </summary>
public static class TestPostgres
{
    public const string ConnectionStringVariable = "PDP_TEST_POSTGRES";

    // Every database this creates carries the prefix, so DropDatabaseAsync can refuse to drop anything else.
    private const string DatabasePrefix = "pdp_test_";

    // PostgreSQL truncates identifiers at 63 bytes; keep the random suffix whole.
    private const int MaxNameLength = 63;

    /// <summary>The connection string of the test cluster's maintenance database.</summary>
    /// <exception cref="InvalidOperationException"><c>PDP_TEST_POSTGRES</c> is not set.</exception>
    public static string ConnectionString
    {
        get
        {
            var value = Environment.GetEnvironmentVariable(ConnectionStringVariable);
            return string.IsNullOrWhiteSpace(value)
                ? throw new InvalidOperationException(
                    "PDP_TEST_POSTGRES is not set: run the tests through .ci/run, or start PostgreSQL and set it — see docs/review-plane.md")
                : value;
        }
    }

    /// <summary>Creates an empty database named <c>pdp_test_PREFIX_XXXXXXXX</c> and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string prefix, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var suffix = "_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        var name = DatabasePrefix + Sanitize(prefix, MaxNameLength - DatabasePrefix.Length - suffix.Length) + suffix;
        await ExecuteAsync($"CREATE DATABASE \"{name}\"", cancellationToken);
        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    /// <summary>
    /// Drops a database made by <see cref="CreateDatabaseAsync"/>, closing whatever connections a test left open to it.
    /// </summary>
    public static async Task DropDatabaseAsync(string connectionString, CancellationToken cancellationToken)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        if (name is null || !name.StartsWith(DatabasePrefix, StringComparison.Ordinal) || Sanitize(name, MaxNameLength) != name)
        {
            throw new ArgumentException($"not a test database: {name}", nameof(connectionString));
        }

        await ExecuteAsync($"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", cancellationToken);
    }

    /// <summary>Stops and starts the test cluster, for tests of what happens while the database is away.</summary>
    public static PostgresControl Control() => PostgresControl.FromEnvironment();

    private static async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        // Unpooled: a test may have restarted the server, which leaves pooled connections dead.
        var admin = new NpgsqlConnectionStringBuilder(ConnectionString) { Pooling = false }.ConnectionString;
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    // Lower-case letters, digits and underscores only, so the name needs no escaping inside double quotes.
    private static string Sanitize(string value, int maxLength)
    {
        var builder = new StringBuilder(value.Length);
        foreach (var c in value.ToLower(CultureInfo.InvariantCulture))
        {
            builder.Append(c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '_' ? c : '_');
        }

        return builder.Length > maxLength ? builder.ToString(0, maxLength) : builder.ToString();
    }
}
