using Microsoft.Extensions.Options;
using Pdp.Review.Store;
using Pdp.Server.Auditing;
using Pdp.Server.Configuration;

namespace Pdp.Server.Reviews;

/// <summary>Chooses the review store from <c>Pdp:Review:Store</c>: <c>local</c> (default) or <c>postgres</c>.</summary>
public static class ReviewStoreRegistration
{
    public static IServiceCollection AddReviewStore(this IServiceCollection services, PdpOptions settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        services.AddSingleton<IReviewJournal>(sp => sp.GetRequiredService<DecisionRecorder>());
        services.AddSingleton<IReviewStore>(sp => new LocalReviewStore(sp.GetRequiredService<IReviewJournal>(), sp.GetRequiredService<IOptions<PdpOptions>>().Value.Review.RetainDecisions));
        return services;
    }
}
