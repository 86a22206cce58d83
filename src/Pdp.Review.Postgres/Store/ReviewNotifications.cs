using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Npgsql;
using Pdp.Review.Store;

namespace Pdp.Review.Postgres.Store;

/// <summary>
/// One LISTEN connection per instance: every committed review change NOTIFYs <see cref="Channel"/> with its decision
/// id, and this wakes the watchers of that id here, whichever instance made the change. No polling per watcher. While
/// the connection is down, and once it is back, every watcher is woken to re-read, so nothing missed in between stays
/// unseen.
/// </summary>
public sealed partial class ReviewNotifications(NpgsqlDataSource dataSource, ILogger<ReviewNotifications> logger)
{
    /// <summary>The NOTIFY channel; its payload is the decision id.</summary>
    public const string Channel = "pdp_review";

    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(500);

    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiters = new(StringComparer.Ordinal);

    /// <summary>Raised for every notification (and once, with an empty id, whenever some may have been missed).</summary>
    public ReviewFeed Feed { get; } = new();

    /// <summary>True while the LISTEN connection is up.</summary>
    public bool Listening { get; private set; }

    /// <summary>Completes at the next change of <paramref name="decisionId"/> (or when changes may have been missed).</summary>
    public Task WhenChanged(string decisionId) =>
        _waiters.GetOrAdd(decisionId, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    /// <summary>Listens until <paramref name="stoppingToken"/> is cancelled, reconnecting after failures.</summary>
    public async Task RunAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken).ConfigureAwait(false);
                connection.Notification += (_, e) => Wake(e.Payload);
                await using (var listen = new NpgsqlCommand($"LISTEN {Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken).ConfigureAwait(false);
                }

                Listening = true;
                WakeAll();
                while (true)
                {
                    await connection.WaitAsync(stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (StoreFailures.IsUnavailable(e))
            {
                if (Listening)
                {
                    LogLost(logger, StoreFailures.Describe(e));
                }

                Listening = false;
                WakeAll();
                try
                {
                    await Task.Delay(RetryDelay, stoppingToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }

        Listening = false;
        WakeAll();
    }

    /// <summary>Wakes the watchers of one decision: called for each notification, and by the instance that changed it.</summary>
    public void Wake(string decisionId)
    {
        WakeWatchers(decisionId);
        Feed.Publish(decisionId);
    }

    private void WakeWatchers(string decisionId)
    {
        if (_waiters.TryRemove(decisionId, out var waiter))
        {
            waiter.TrySetResult();
        }
    }

    private void WakeAll()
    {
        foreach (var id in _waiters.Keys)
        {
            WakeWatchers(id);
        }

        Feed.Publish(string.Empty);
    }

    [LoggerMessage(130, LogLevel.Warning, "Review notifications lost their connection ({Reason}); watchers re-read until it is back")]
    private static partial void LogLost(ILogger logger, string reason);
}
