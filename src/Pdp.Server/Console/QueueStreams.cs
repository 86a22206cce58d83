using System.Threading.Channels;
using Pdp.Review.Store;

namespace Pdp.Server.Console;

/// <summary>
/// The live queue streams (server-sent events) open now, bounded by <c>Pdp:Console:MaxStreams</c>. Each holds one
/// feed subscription and a one-slot channel: changes coalesce into a single "the queue changed" signal, so a slow
/// browser costs one pending message, never a growing buffer. The browser then re-reads its own queue, which is
/// filtered by its groups; the stream itself carries no review data.
/// </summary>
public sealed class QueueStreams(IReviewStore store, int maxStreams)
{
    private int _open;

    public int Open => Volatile.Read(ref _open);

    /// <summary>A new stream, or null when <c>MaxStreams</c> are already open.</summary>
    public Stream? TryOpen()
    {
        if (Interlocked.Increment(ref _open) > maxStreams)
        {
            Interlocked.Decrement(ref _open);
            return null;
        }

        return new Stream(this, store.Feed);
    }

    /// <summary>One browser's stream of change signals.</summary>
    public sealed class Stream : IDisposable
    {
        private readonly QueueStreams _owner;
        private readonly Channel<bool> _signals = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true });
        private readonly IDisposable _subscription;
        private int _disposed;

        internal Stream(QueueStreams owner, ReviewFeed feed)
        {
            _owner = owner;
            _subscription = feed.Subscribe(_ => _signals.Writer.TryWrite(true));
        }

        /// <summary>Waits for the next change; false when <paramref name="timeout"/> passed first (time for a heartbeat).</summary>
        public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
        {
            using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            wait.CancelAfter(timeout);
            try
            {
                await _signals.Reader.ReadAsync(wait.Token).ConfigureAwait(false);
                return true;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return false;
            }
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                _subscription.Dispose();
                Interlocked.Decrement(ref _owner._open);
            }
        }
    }
}
