using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using Pdp.Server.Configuration;
using Pdp.Server.Errors;
using Pdp.Server.Metrics;

namespace Pdp.Server.Decisions;

/// <summary>
/// Bounds the decisions in progress with a <see cref="ConcurrencyLimiter"/> (a bounded, oldest-first
/// queue), so overload is answered fast with RESOURCE_EXHAUSTED and the calls admitted keep their latency.
/// </summary>
public sealed class AdmissionControl : IDisposable
{
    private readonly ConcurrencyLimiter _limiter;
    private readonly TimeSpan _maxWait;
    private readonly PdpMetrics _metrics;

    public AdmissionControl(IOptions<PdpOptions> options, PdpMetrics metrics)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value.Overload;
        _maxWait = TimeSpan.FromMilliseconds(settings.MaxQueueWaitMilliseconds);
        _metrics = metrics;
        _limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = settings.MaxConcurrentDecisions,
            QueueLimit = settings.MaxQueuedDecisions,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });
    }

    /// <summary>A slot for one decision, or <see cref="OverloadedException"/>; an already cancelled (expired) call never gets one.</summary>
    public async ValueTask<RateLimitLease> AdmitAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var lease = _limiter.AttemptAcquire();
        if (lease.IsAcquired)
        {
            return lease;
        }

        lease.Dispose();
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(_maxWait);
        try
        {
            lease = await _limiter.AcquireAsync(1, wait.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw Refuse("no slot freed within the queue wait");
        }

        if (!lease.IsAcquired)
        {
            lease.Dispose();
            throw Refuse("the queue is full");
        }

        return lease;
    }

    public void Dispose() => _limiter.Dispose();

    private OverloadedException Refuse(string why)
    {
        _metrics.OverloadRejections.Inc();
        return new OverloadedException($"the decision point is overloaded ({why}); retry with backoff");
    }
}
