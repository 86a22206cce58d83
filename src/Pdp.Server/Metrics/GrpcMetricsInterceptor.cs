using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Pdp.Server.Metrics;

/// <summary>
/// Counts every gRPC call by method and status code. It runs outside the error mapping, so it counts
/// the status the caller actually received. Methods are only those the server implements (unknown
/// ones never reach an interceptor), so the label set is bounded.
/// </summary>
public sealed class GrpcMetricsInterceptor(PdpMetrics metrics) : Interceptor
{
    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        ArgumentNullException.ThrowIfNull(context);
        Task<TResponse> call;
        try
        {
            call = continuation(request, context);
        }
        catch (RpcException e)
        {
            metrics.RecordGrpcCall(context.Method, e.StatusCode);
            throw;
        }
        catch
        {
            metrics.RecordGrpcCall(context.Method, StatusCode.Unknown);
            throw;
        }

        if (call.IsCompletedSuccessfully)
        {
            // Finished without waiting: counted now, no state machine of its own.
            metrics.RecordGrpcCall(context.Method, StatusCode.OK);
            return call;
        }

        return AwaitUnary(call, context.Method);
    }

    private async Task<TResponse> AwaitUnary<TResponse>(Task<TResponse> call, string method)
    {
        var code = StatusCode.Unknown;
        try
        {
            var response = await call.ConfigureAwait(false);
            code = StatusCode.OK;
            return response;
        }
        catch (RpcException e)
        {
            code = e.StatusCode;
            throw;
        }
        finally
        {
            metrics.RecordGrpcCall(method, code);
        }
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(continuation);
        ArgumentNullException.ThrowIfNull(context);
        var code = StatusCode.Unknown;
        try
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
            code = StatusCode.OK;
        }
        catch (RpcException e)
        {
            code = e.StatusCode;
            throw;
        }
        finally
        {
            metrics.RecordGrpcCall(context.Method, code);
        }
    }
}
