using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Pdp.Server.Configuration;

namespace Pdp.Server.Reviews;

/// <summary>
/// Decisions in memory, bounded by <see cref="ReviewOptions.RetainDecisions"/>: past that the oldest
/// settled or review-free decisions are forgotten (the trail still has them); pending reviews never are.
/// </summary>
public sealed class InMemoryDecisionStore(IOptions<PdpOptions> options) : IDecisionStore
{
    private readonly ConcurrentDictionary<string, DecisionEntry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DecisionEntry> _pending = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _order = new();
    private readonly int _retain = options.Value.Review.RetainDecisions;

    // ConcurrentDictionary.Count takes every lock; the hot path keeps its own count.
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public void Add(DecisionEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        if (!_entries.TryAdd(entry.DecisionId, entry))
        {
            return;
        }

        Interlocked.Increment(ref _count);

        if (entry.Snapshot.State == ReviewState.Pending)
        {
            _pending[entry.DecisionId] = entry;
        }

        _order.Enqueue(entry.DecisionId);
        Trim();
    }

    public DecisionEntry? Find(string decisionId) => _entries.GetValueOrDefault(decisionId);

    public IEnumerable<DecisionEntry> Pending()
    {
        foreach (var (id, entry) in _pending)
        {
            if (entry.Snapshot.State == ReviewState.Pending)
            {
                yield return entry;
            }
            else
            {
                _pending.TryRemove(id, out _);
            }
        }
    }

    /// <summary>
    /// Forgets the oldest settled decisions while over the bound. Each call looks at a few entries only, so
    /// the cost per decision stays constant even when many reviews are pending (those go back in the queue).
    /// </summary>
    private void Trim()
    {
        for (var budget = TrimStepsPerAdd; Count > _retain && budget > 0 && _order.TryDequeue(out var oldest); budget--)
        {
            if (_entries.TryGetValue(oldest, out var entry) && entry.Snapshot.State == ReviewState.Pending)
            {
                _order.Enqueue(oldest);
                continue;
            }

            if (_entries.TryRemove(oldest, out _))
            {
                Interlocked.Decrement(ref _count);
            }
        }
    }

    private const int TrimStepsPerAdd = 8;
}
