using Grpc.AspNetCore.Server.Model;

namespace Pdp.Server.Hosting;

public static class GrpcBindingExtensions
{
    /// <summary>Replaces grpc-dotnet's service binder with <see cref="ClearStatusServiceMethodProvider{TService}"/> for every service.</summary>
    public static IServiceCollection UseClearStatusBinding(this IServiceCollection services)
    {
        var defaults = services.Where(d => d.ServiceType == typeof(IServiceMethodProvider<>) && d.ImplementationType?.Name.StartsWith("BinderServiceMethodProvider", StringComparison.Ordinal) == true).ToArray();
        if (defaults.Length != 1)
        {
            throw new InvalidOperationException("grpc-dotnet's default service binder was not found; call after AddGrpc.");
        }

        services.Remove(defaults[0]);
        services.AddSingleton(typeof(IServiceMethodProvider<>), typeof(ClearStatusServiceMethodProvider<>));
        return services;
    }
}
