using Npgsql;
using Pdp.TestSupport;

namespace Pdp.Review.Postgres.Tests;

/// <summary>A database of the test's own on the test cluster, dropped when the test ends.</summary>
internal sealed class TestDatabase : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private TestDatabase(string connectionString)
    {
        ConnectionString = connectionString;
        DataSource = NpgsqlDataSource.Create(connectionString);
    }

    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource { get; }

    public static async Task<TestDatabase> CreateAsync(string prefix, CancellationToken cancellationToken) =>
        new(await TestPostgres.CreateDatabaseAsync(prefix, cancellationToken).WaitAsync(Timeout, cancellationToken));

    public async Task<T> ScalarAsync<T>(string sql, CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(cancellationToken).WaitAsync(Timeout, cancellationToken))!;
    }

    public async Task ExecuteAsync(string sql, CancellationToken cancellationToken)
    {
        await using var command = DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(cancellationToken).WaitAsync(Timeout, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        await TestPostgres.DropDatabaseAsync(ConnectionString, timeout.Token).WaitAsync(Timeout);
    }
}
