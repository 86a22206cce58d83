using Pdp.Review.Model;
using Xunit;

namespace Pdp.Server.Tests;

/// <summary>
/// The starting review state is shared, not allocated per decision: every retained decision holds one, and the
/// young collections copied a snapshot per decision in the store and the trail state alike.
/// </summary>
public sealed class ReviewSnapshotTests
{
    [Theory]
    [InlineData(DecisionVerdict.Allow, ReviewState.NotRequired)]
    [InlineData(DecisionVerdict.Deny, ReviewState.NotRequired)]
    [InlineData(DecisionVerdict.RequireHuman, ReviewState.Pending)]
    public void Initial_AnyVerdict_OneSharedSnapshot(DecisionVerdict verdict, ReviewState expected)
    {
        var first = ReviewSnapshot.Initial(verdict);

        Assert.Same(first, ReviewSnapshot.Initial(verdict));
        Assert.Equal(expected, first.State);
        Assert.Empty(first.Dispositions);
        Assert.Null(first.SettledAt);
    }
}
