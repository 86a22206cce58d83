namespace Pdp.Review.Store;

/// <summary>
/// Store-wide change feed: raised with a decision id when a require-human decision arrives or any review changes, and
/// with an empty id when changes may have been missed (a shared store's notification connection came back). Listeners
/// run on the raising thread, so they must only signal (set a flag, write to a bounded channel), never block.
/// </summary>
public sealed class ReviewFeed
{
    private readonly Lock _sync = new();
    private Action<string>[] _listeners = [];

    /// <summary>Listeners now subscribed (each console event stream holds one).</summary>
    public int Count => Volatile.Read(ref _listeners).Length;

    /// <summary>Subscribes until the returned handle is disposed.</summary>
    public IDisposable Subscribe(Action<string> listener)
    {
        ArgumentNullException.ThrowIfNull(listener);
        lock (_sync)
        {
            _listeners = [.. _listeners, listener];
        }

        return new Subscription(this, listener);
    }

    /// <summary>Tells every listener that <paramref name="decisionId"/> changed (empty: anything may have).</summary>
    public void Publish(string decisionId)
    {
        foreach (var listener in Volatile.Read(ref _listeners))
        {
            listener(decisionId);
        }
    }

    private void Unsubscribe(Action<string> listener)
    {
        lock (_sync)
        {
            _listeners = [.. _listeners.Where(l => !ReferenceEquals(l, listener))];
        }
    }

    private sealed class Subscription(ReviewFeed feed, Action<string> listener) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                feed.Unsubscribe(listener);
            }
        }
    }
}
