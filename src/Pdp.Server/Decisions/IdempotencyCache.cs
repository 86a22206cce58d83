using System.Security.Cryptography;
using Google.Protobuf;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Pdp.Contracts.V1;
using Pdp.Server.Configuration;
using Pdp.Server.Errors;

namespace Pdp.Server.Decisions;

/// <summary>
/// Remembers decisions by (agent, <c>request_id</c>) for a window, so a client retrying after a lost
/// response gets the same decision instead of a second one. Concurrent duplicates share one evaluation.
/// The same id with a different request is refused. Bounded by <see cref="IdempotencyOptions.MaxEntries"/>.
/// </summary>
public sealed class IdempotencyCache : IDisposable
{
    private readonly MemoryCache _cache;
    private readonly TimeSpan _window;
    private readonly Lock _gate = new();

    public IdempotencyCache(IOptions<PdpOptions> options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        var settings = options.Value.Idempotency;
        _window = TimeSpan.FromSeconds(settings.WindowSeconds);
        _cache = new MemoryCache(new MemoryCacheOptions { SizeLimit = settings.MaxEntries, Clock = new TimeProviderClock(time) });
    }

    /// <summary>Returns the remembered decision for this request, or runs <paramref name="decide"/> once and remembers it.</summary>
    /// <param name="request">The request (its agent and request id are the key).</param>
    /// <param name="digest">Its <see cref="RequestDigest"/>: a reused id with another digest is refused.</param>
    /// <param name="decide">Makes the decision when none is remembered.</param>
    public Task<DecideResponse> GetOrDecideAsync(DecideRequest request, string digest, Func<Task<DecideResponse>> decide)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(digest);
        ArgumentNullException.ThrowIfNull(decide);

        // Without a request id there is nothing to remember: the decision's own task, no state machine around it.
        return string.IsNullOrEmpty(request.RequestId) ? decide() : RememberedAsync(request, digest, decide);
    }

    private async Task<DecideResponse> RememberedAsync(DecideRequest request, string digest, Func<Task<DecideResponse>> decide)
    {
        var key = Key(request.Agent?.Id ?? string.Empty, request.RequestId);
        Entry entry;
        lock (_gate)
        {
            if (!_cache.TryGetValue(key, out Entry? existing) || existing is null)
            {
                existing = new Entry(digest, new Lazy<Task<DecideResponse>>(decide));
                _cache.Set(key, existing, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = _window });
            }

            entry = existing;
        }

        if (!string.Equals(entry.Digest, digest, StringComparison.Ordinal))
        {
            throw new IdempotencyConflictException(request.RequestId);
        }

        try
        {
            return await entry.Response.Value.ConfigureAwait(false);
        }
        catch
        {
            // A failed decision is not a decision: let the retry evaluate again.
            lock (_gate)
            {
                if (_cache.TryGetValue(key, out Entry? current) && ReferenceEquals(current, entry))
                {
                    _cache.Remove(key);
                }
            }

            throw;
        }
    }

    /// <summary>Whether a decision made at <paramref name="decidedAt"/> is still inside the window at <paramref name="now"/>.</summary>
    public bool Covers(DateTimeOffset decidedAt, DateTimeOffset now) => decidedAt + _window > now;

    /// <summary>Seeds a remembered decision, e.g. when rebuilding the window from the audit trail.</summary>
    public void Remember(string agentId, string requestId, string digest, DecideResponse response, DateTimeOffset decidedAt, DateTimeOffset now)
    {
        var remaining = decidedAt + _window - now;
        if (remaining <= TimeSpan.Zero)
        {
            return;
        }

        var entry = new Entry(digest, new Lazy<Task<DecideResponse>>(Task.FromResult(response)));
        lock (_gate)
        {
            _cache.Set(Key(agentId, requestId), entry, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = remaining });
        }
    }

    public void Dispose() => _cache.Dispose();

    private static string Key(string agentId, string requestId) => string.Concat(agentId, "\n", requestId);

    private sealed record Entry(string Digest, Lazy<Task<DecideResponse>> Response);

    private sealed class TimeProviderClock(TimeProvider time) : Microsoft.Extensions.Internal.ISystemClock
    {
        public DateTimeOffset UtcNow => time.GetUtcNow();
    }
}
