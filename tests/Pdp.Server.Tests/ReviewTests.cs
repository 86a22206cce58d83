namespace Pdp.Server.Tests;

/// <summary>The review rules with the default, local store (in memory, rebuilt from the trail).</summary>
public sealed class ReviewTests : ReviewRulesTests
{
    protected override Task<IReadOnlyDictionary<string, string?>> StoreSettingsAsync() =>
        Task.FromResult<IReadOnlyDictionary<string, string?>>(new Dictionary<string, string?>());
}
