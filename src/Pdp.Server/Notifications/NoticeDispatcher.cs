using System.Diagnostics;
using Microsoft.Extensions.Options;
using Pdp.Review.Notifications;
using Pdp.Server.Configuration;
using Pdp.Server.Metrics;

namespace Pdp.Server.Notifications;

/// <summary>
/// Delivers what the outbox holds: each notice to every endpoint serving one of its groups, signed, through the
/// <c>pdp-notify</c> HTTP client (its resilience handler retries a few times at once, with exponential backoff and
/// jitter); a notice some endpoint did not take goes back to the outbox, due again after an exponentially growing,
/// jittered wait, and only to the endpoints that did not take it. Runs beside the decision path, never in it.
/// </summary>
public sealed partial class NoticeDispatcher(Func<INoticeOutbox> outboxFactory, IHttpClientFactory http, IOptions<PdpOptions> options, PdpMetrics metrics, TimeProvider time, ILogger<NoticeDispatcher> logger) : BackgroundService
{
    public const string ClientName = "pdp-notify";
    private const int Batch = 32;

    private readonly NotifyOptions _notify = options.Value.Notify;
    private readonly byte[][] _keys = [.. options.Value.Notify.Endpoints.Select(e => e.Key() ?? [])];

    private INoticeOutbox _outbox = null!;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Before the first await, so during start-up: the local outbox fixes its position before anything can decide.
        _outbox = outboxFactory();
        metrics.Registry.AddBeforeCollectCallback(() => metrics.NotifyOutboxDepth.Set(_outbox.Depth));
        var poll = TimeSpan.FromMilliseconds(_notify.PollMilliseconds);
        while (!stoppingToken.IsCancellationRequested)
        {
            IReadOnlyList<OutboxNotice> claimed;
            try
            {
                claimed = await _outbox.ClaimAsync(Batch, stoppingToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The shared store or the trail may come back; the outbox keeps what it holds meanwhile.
                LogOutboxFailed(logger, e.Message);
                claimed = [];
            }

            if (claimed.Count == 0)
            {
                await Task.Delay(poll, time, stoppingToken).ConfigureAwait(false);
                continue;
            }

            // One notice's endpoints are tried in turn; notices of a batch in parallel, bounded by the batch.
            await Task.WhenAll(claimed.Select(n => DeliverAsync(n, stoppingToken))).ConfigureAwait(false);
        }
    }

    private async Task DeliverAsync(OutboxNotice claimed, CancellationToken cancellationToken)
    {
        var delivered = new HashSet<int>(claimed.DeliveredTo);
        for (var i = 0; i < _notify.Endpoints.Count; i++)
        {
            if (!delivered.Contains(i) && _notify.Endpoints[i].Serves(claimed.Notice.Groups) && await SendAsync(i, claimed, cancellationToken).ConfigureAwait(false))
            {
                delivered.Add(i);
            }
        }

        try
        {
            var missing = Enumerable.Range(0, _notify.Endpoints.Count).Any(i => !delivered.Contains(i) && _notify.Endpoints[i].Serves(claimed.Notice.Groups));
            if (!missing)
            {
                await _outbox.FinishAsync(claimed, NoticeOutcome.Delivered, cancellationToken).ConfigureAwait(false);
            }
            else if (time.GetUtcNow() - claimed.EnqueuedAt > TimeSpan.FromSeconds(_notify.GiveUpAfterSeconds))
            {
                foreach (var i in Enumerable.Range(0, _notify.Endpoints.Count).Where(i => !delivered.Contains(i) && _notify.Endpoints[i].Serves(claimed.Notice.Groups)))
                {
                    metrics.NotifyDeliveries.WithLabels(Label(i), "abandoned").Inc();
                    LogAbandoned(logger, claimed.Notice.Id, Label(i));
                }

                await _outbox.FinishAsync(claimed, NoticeOutcome.Abandoned, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await _outbox.RetryAsync(claimed, delivered, Backoff(claimed.Attempts), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Left claimed: the lease runs out and it is delivered again (receivers drop the copy by its id).
            LogOutboxFailed(logger, e.Message);
        }
    }

    private async Task<bool> SendAsync(int index, OutboxNotice claimed, CancellationToken cancellationToken)
    {
        var endpoint = _notify.Endpoints[index];
        var started = Stopwatch.GetTimestamp();
        try
        {
            // Formatting and signing inside the try too: a notice that cannot be written (it once could not, in the
            // native AOT build) is a failed delivery like any other, never an exception that stops the host.
            var (body, contentType) = NoticeFormats.Format(claimed.Notice, endpoint.Format, _notify.ConsoleUrl);
            var (timestamp, signature) = WebhookSignature.Sign(_keys[index], claimed.Notice.Id, time.GetUtcNow(), body);
            using var request = new HttpRequestMessage(HttpMethod.Post, endpoint.Url) { Content = new ByteArrayContent(body) };
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            request.Headers.TryAddWithoutValidation(WebhookSignature.IdHeader, claimed.Notice.Id);
            request.Headers.TryAddWithoutValidation(WebhookSignature.TimestampHeader, timestamp);
            request.Headers.TryAddWithoutValidation(WebhookSignature.SignatureHeader, signature);
            using var response = await http.CreateClient(ClientName).SendAsync(request, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                metrics.NotifyDeliveries.WithLabels(Label(index), "delivered").Inc();
                metrics.NotifyLatency.WithLabels(Label(index)).Observe(Math.Max(0, (time.GetUtcNow() - claimed.Notice.At).TotalSeconds));
                return true;
            }

            LogRefused(logger, claimed.Notice.Id, Label(index), (int)response.StatusCode, claimed.Attempts + 1);
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested)
        {
            // Whatever failed (connection, timeout, a handler), the notice stays in the outbox and the dispatcher goes on.
            // The exception's type only: its text may quote the URL, which for some receivers is itself a secret.
            LogUnreachable(logger, claimed.Notice.Id, Label(index), e.GetType().Name, claimed.Attempts + 1, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }

        metrics.NotifyDeliveries.WithLabels(Label(index), "failed").Inc();
        return false;
    }

    /// <summary>Base × 2^attempts, capped, with full jitter over its upper half so replicas and endpoints do not retry in step.</summary>
    private TimeSpan Backoff(int attempts)
    {
        var cap = TimeSpan.FromSeconds(_notify.RetryMaxSeconds).TotalMilliseconds;
        var wait = Math.Min(cap, _notify.RetryBaseMilliseconds * Math.Pow(2, Math.Min(attempts, 30)));
        return TimeSpan.FromMilliseconds((wait / 2) + (Random.Shared.NextDouble() * wait / 2));
    }

    private string Label(int index) => _notify.Endpoints[index].LabelOf(index);

    [LoggerMessage(EventId = 1400, Level = LogLevel.Warning, Message = "Notification {NoticeId} refused by endpoint {Endpoint} with HTTP {Status} (attempt {Attempt}); it stays in the outbox")]
    private static partial void LogRefused(ILogger logger, string noticeId, string endpoint, int status, int attempt);

    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning, Message = "Notification {NoticeId} did not reach endpoint {Endpoint} ({Error}, attempt {Attempt}, {Milliseconds:F0} ms); it stays in the outbox")]
    private static partial void LogUnreachable(ILogger logger, string noticeId, string endpoint, string error, int attempt, double milliseconds);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Error, Message = "Notification {NoticeId} abandoned for endpoint {Endpoint}: not delivered within Pdp:Notify:GiveUpAfterSeconds")]
    private static partial void LogAbandoned(ILogger logger, string noticeId, string endpoint);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Warning, Message = "The notification outbox failed ({Reason}); trying again")]
    private static partial void LogOutboxFailed(ILogger logger, string reason);
}
