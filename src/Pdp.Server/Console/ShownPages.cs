using System.Collections.Concurrent;

namespace Pdp.Server.Console;

/// <summary>
/// When each reviewer was first shown each decision page, kept server-side so a reloaded page or a hand-made form
/// cannot restart the clock: it becomes the disposition's <c>FirstShownAt</c>, and an approval sooner than
/// <c>Pdp:Review:MinSeconds</c> after it is flagged as a rubber stamp. Bounded: past the bound the oldest are
/// forgotten, and a forgotten page counts as shown anew at its next view, which can only make the check stricter.
/// Per instance: behind several instances without session affinity, an approval sent to another instance than the one
/// that showed the page finds no entry and counts from then (flagged, never missed).
/// </summary>
public sealed class ShownPages(int capacity, TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Reviewer, string DecisionId), DateTimeOffset> _shown = new();
    private readonly ConcurrentQueue<(string Reviewer, string DecisionId)> _order = new();

    public int Count => _shown.Count;

    /// <summary>When <paramref name="reviewer"/> was first shown the decision; now, if this is the first time.</summary>
    public DateTimeOffset Shown(string reviewer, string decisionId)
    {
        var key = Key(reviewer, decisionId);
        var now = time.GetUtcNow();
        var first = _shown.GetOrAdd(key, now);
        if (first == now)
        {
            _order.Enqueue(key);
            Trim();
        }

        return first;
    }

    /// <summary>When the page was first shown, or null when this instance never showed it (or has forgotten).</summary>
    public DateTimeOffset? Find(string reviewer, string decisionId) =>
        _shown.TryGetValue(Key(reviewer, decisionId), out var first) ? first : null;

    private static (string, string) Key(string reviewer, string decisionId) => (reviewer.ToUpperInvariant(), decisionId.ToUpperInvariant());

    private void Trim()
    {
        while (_shown.Count > capacity && _order.TryDequeue(out var oldest))
        {
            _shown.TryRemove(oldest, out _);
        }
    }
}
