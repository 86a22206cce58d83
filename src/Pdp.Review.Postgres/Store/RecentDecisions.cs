using System.Collections.Concurrent;
using Pdp.Review.Events;
using Pdp.Review.Model;

namespace Pdp.Review.Postgres.Store;

/// <summary>
/// This instance's own allow and deny decisions, kept in memory (bounded, oldest first out) so GetDecision and
/// REVERSED work for them before the fleet decision log has them. The fleet log is the record; this is a cache.
/// </summary>
internal sealed class RecentDecisions(int capacity)
{
    // A recorded decision is kept as its trail bytes and parsed when asked for (rarely: a reversal before it is shipped),
    // not as a parsed input per decision.
    private readonly ConcurrentDictionary<string, object> _byId = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();
    private int _count;

    public void Add(DecisionFacts decision)
    {
        if (!_byId.TryAdd(decision.DecisionId, decision.RecordedPayload.IsEmpty ? decision : decision.RecordedPayload))
        {
            return;
        }

        _order.Enqueue(decision.DecisionId);
        if (Interlocked.Increment(ref _count) > capacity && _order.TryDequeue(out var oldest) && _byId.TryRemove(oldest, out _))
        {
            Interlocked.Decrement(ref _count);
        }
    }

    public DecisionFacts? Find(string decisionId) => _byId.GetValueOrDefault(decisionId) switch
    {
        DecisionFacts facts => facts,
        ReadOnlyMemory<byte> payload => DecisionEventJson.Read(payload),
        _ => null,
    };
}
