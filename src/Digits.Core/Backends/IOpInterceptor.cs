namespace Digits.Core.Backends;

/// <summary>
/// Sees everything a <see cref="BackendBase"/> does once its arguments are checked — every op, transfer, allocation
/// and synchronization — through this one method, so that watching a backend needs no code per op: the profiler
/// (<see cref="OpProfiler"/>) times each piece of work, and a test backend records a step as a CUDA graph would. Set it
/// with <see cref="BackendBase.Interceptor"/>; without one, the work runs directly and nothing is allocated for it.
/// </summary>
public interface IOpInterceptor
{
    /// <summary>
    /// Called with each piece of work in the order it is issued; <paramref name="run"/> does it, with the arguments it
    /// was issued with. Work of kind <see cref="OpKind.Launch"/> (already counted in <see cref="IBackend.Launches"/>)
    /// may be run now, later or several times; every other kind must be run before this returns, or refused by
    /// throwing.
    /// </summary>
    void Intercept(in OpInfo op, Action run);
}
