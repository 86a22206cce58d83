using System.Net.Sockets;
using Npgsql;
using Pdp.Review.Store;

namespace Pdp.Review.Postgres.Store;

/// <summary>
/// Which failures mean "the database cannot be reached now" (answered UNAVAILABLE, retried later) rather than a
/// bug: lost or refused connections, timeouts, a server shutting down or starting up, an exhausted pool.
/// </summary>
public static class StoreFailures
{
    /// <summary>True when <paramref name="exception"/> means the database cannot be reached now.</summary>
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        PostgresException pg => IsUnavailableState(pg.SqlState),
        NpgsqlException => true,
        TimeoutException or SocketException or IOException => true,
        InvalidOperationException { InnerException: { } inner } => IsUnavailable(inner),
        _ => false,
    };

    /// <summary>Connection exceptions (08), operator intervention (57: shutdown, crash, cannot connect now), resource limits (53).</summary>
    public static bool IsUnavailableState(string sqlState) =>
        sqlState.StartsWith("08", StringComparison.Ordinal) || sqlState.StartsWith("57", StringComparison.Ordinal) || sqlState.StartsWith("53", StringComparison.Ordinal);

    /// <summary>Runs a store operation, turning an unreachable database into <see cref="ReviewStoreUnavailableException"/>.</summary>
    public static async Task<T> GuardAsync<T>(string operation, Func<Task<T>> action, Action<bool>? reachable = null)
    {
        ArgumentNullException.ThrowIfNull(action);
        try
        {
            var result = await action().ConfigureAwait(false);
            reachable?.Invoke(true);
            return result;
        }
        catch (Exception e) when (IsUnavailable(e))
        {
            reachable?.Invoke(false);
            throw new ReviewStoreUnavailableException($"review store (PostgreSQL) unavailable: {operation} was not done ({Describe(e)})", e);
        }
    }

    /// <summary>A short reason without the connection string (which may carry a password).</summary>
    public static string Describe(Exception exception) => exception switch
    {
        PostgresException pg => $"{pg.SqlState} {pg.MessageText}",
        NpgsqlException { InnerException: SocketException s } => s.SocketErrorCode.ToString(),
        NpgsqlException { InnerException: TimeoutException } or TimeoutException => "timeout",
        _ => exception.GetType().Name,
    };
}
