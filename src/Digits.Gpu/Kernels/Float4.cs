namespace Digits.Gpu.Kernels;

/// <summary>A 16-byte vector of four floats: a view cast to it is read with one 16-byte load
/// (<c>ld.global.v4.f32</c> on PTX). Not <c>System.Numerics.Vector4</c>, which ILGPU mis-handles (its issue
/// #1326).</summary>
public struct Float4
{
    public float X, Y, Z, W;
}
