/* fill.cl: sets count 32-bit elements to one bit pattern (a float's bits or an int), so one kernel
 * serves Fill(float) and Fill(int). Launch: 1-D, one thread per element, work-groups of WG, grid rounded up.
 * CPU twin: ReferenceBackend.FillCore (both overloads); host: GpuBackend.FillCore. */
KERNEL void fill(GLOBAL unsigned int* p, int p_off, int count, unsigned int bits)
{
    const int k = GLOBAL_ID(0);
    if (k < count) p[p_off + k] = bits;
}
