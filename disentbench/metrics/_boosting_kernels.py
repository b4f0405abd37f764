"""Compiled kernels of :mod:`disentbench.metrics.boosting` (numba, no Python objects).

They follow scikit-learn 1.x's exact ``GradientBoostingClassifier`` step by step (file references
are to sklearn's sources): the depth-first tree builder (``tree/_tree.pyx``), the best splitter
with its random feature-visiting order and constant-feature bookkeeping (``tree/_splitter.pyx``,
``our_rand_r`` of ``utils/_random.pxd``), the squared-error criterion's sums and their
forward/reverse update path (``tree/_criterion.pyx``), and the one-step Newton leaf values of the
log-loss (``ensemble/_gb.py``). The one algorithmic difference is speed-only: each feature is
sorted once per ensemble and every node keeps its samples in that order by stable partitions,
instead of re-sorting the node's samples for each feature (O(n) per node and feature instead of
O(n log n)). A sorted order is unique when a feature has no tied values in the node; with ties,
``exact_ties`` replays sklearn's introsort to get its order among them (else: index order).
"""

from __future__ import annotations

import numba as nb
import numpy as np

#: sklearn's ``FEATURE_THRESHOLD``: values closer than this are one value for splitting. It is a
#: float32 constant added to float32 feature values, so the sum is rounded to float32 (adjacent
#: float32 values count as equal above magnitude 1); the comparisons below keep that arithmetic.
FEATURE_THRESHOLD = np.float32(1e-7)
#: sklearn's tree ``EPSILON`` (``np.finfo('double').eps``).
EPSILON = float(np.finfo(np.float64).eps)
#: sklearn's ``RAND_R_MAX``; each tree's splitter seed is ``randint(0, RAND_R_MAX)``.
RAND_R_MAX = 2147483647
_MASK32 = 0xFFFFFFFF


@nb.njit(cache=True, nogil=True)
def _rand_int(low: int, high: int, state: np.ndarray) -> int:
    """sklearn's ``rand_int``: ``low + our_rand_r(state) % (high - low)`` (32-bit XorShift)."""
    s = state[0]
    if s == 0:
        s = 1
    s = (s ^ (s << 13)) & _MASK32
    s = s ^ (s >> 17)
    s = (s ^ (s << 5)) & _MASK32
    state[0] = s
    return low + (s % (RAND_R_MAX + 1)) % (high - low)


@nb.njit(cache=True, nogil=True)
def _swap(values, indices, i, j):
    values[i], values[j] = values[j], values[i]
    indices[i], indices[j] = indices[j], indices[i]


@nb.njit(cache=True, nogil=True)
def _median3(v, lo, n):
    a = v[lo]
    b = v[lo + n // 2]
    c = v[lo + n - 1]
    if a < b:
        if b < c:
            return b
        elif a < c:
            return c
        return a
    elif b < c:
        if a < c:
            return a
        return c
    return b


@nb.njit(cache=True, nogil=True)
def _heapsort(v, idx, lo, n):
    start = (n - 2) // 2
    end = n
    while True:
        _sift_down(v, idx, lo, start, end)
        if start == 0:
            break
        start -= 1
    end = n - 1
    while end > 0:
        _swap(v, idx, lo, lo + end)
        _sift_down(v, idx, lo, 0, end)
        end -= 1


@nb.njit(cache=True, nogil=True)
def _sift_down(v, idx, lo, start, end):
    root = start
    while True:
        child = root * 2 + 1
        maxind = root
        if child < end and v[lo + maxind] < v[lo + child]:
            maxind = child
        if child + 1 < end and v[lo + maxind] < v[lo + child + 1]:
            maxind = child + 1
        if maxind == root:
            break
        _swap(v, idx, lo + root, lo + maxind)
        root = maxind


@nb.njit(cache=True, nogil=True)
def _insertion_sort(v, idx, lo, n):
    for i in range(1, n):
        temp_val = v[lo + i]
        temp_idx = idx[lo + i]
        j = i
        while j > 0 and v[lo + j - 1] > temp_val:
            v[lo + j] = v[lo + j - 1]
            idx[lo + j] = idx[lo + j - 1]
            j -= 1
        v[lo + j] = temp_val
        idx[lo + j] = temp_idx


@nb.njit(cache=True, nogil=True)
def introsort_3way(v, idx, lo, n):
    """sklearn's ``simultaneous_sort(..., use_three_way_partition=True)`` (``utils/_sorting.pyx``)
    on ``v[lo:lo+n]`` (float32) and ``idx`` alike: the same swaps, so tied values end in the same
    order. Its recursion on the left part is a stack here; the parts are disjoint, so the order
    in which they are sorted does not change the result."""
    if n == 0:
        return
    stack_lo = np.empty(128, dtype=np.int64)
    stack_n = np.empty(128, dtype=np.int64)
    stack_d = np.empty(128, dtype=np.int64)
    stack_lo[0] = lo
    stack_n[0] = n
    stack_d[0] = 2 * int(np.log2(n))
    top = 1
    while top > 0:
        top -= 1
        lo = stack_lo[top]
        n = stack_n[top]
        maxd = stack_d[top]
        done = False
        while n > 15:
            if maxd <= 0:
                _heapsort(v, idx, lo, n)
                done = True
                break
            maxd -= 1
            pivot = _median3(v, lo, n)
            i = 0
            left = 0
            right = n
            while i < right:
                if v[lo + i] < pivot:
                    _swap(v, idx, lo + i, lo + left)
                    i += 1
                    left += 1
                elif v[lo + i] > pivot:
                    right -= 1
                    _swap(v, idx, lo + i, lo + right)
                else:
                    i += 1
            stack_lo[top] = lo
            stack_n[top] = left
            stack_d[top] = maxd
            top += 1
            lo += right
            n -= right
        if not done:
            _insertion_sort(v, idx, lo, n)


@nb.njit(cache=True, nogil=True)
def pairwise_sum(a, lo, n):
    """numpy's pairwise summation of ``a[lo:lo+n]`` (what ``np.sum``/``np.mean`` return for a
    contiguous float64 array), so leaf values are sklearn's to the last bit."""
    if n < 8:
        res = -0.0
        for i in range(n):
            res += a[lo + i]
        return res
    if n <= 128:
        r0, r1, r2, r3 = a[lo], a[lo + 1], a[lo + 2], a[lo + 3]
        r4, r5, r6, r7 = a[lo + 4], a[lo + 5], a[lo + 6], a[lo + 7]
        i = 8
        while i < n - (n % 8):
            r0 += a[lo + i]
            r1 += a[lo + i + 1]
            r2 += a[lo + i + 2]
            r3 += a[lo + i + 3]
            r4 += a[lo + i + 4]
            r5 += a[lo + i + 5]
            r6 += a[lo + i + 6]
            r7 += a[lo + i + 7]
            i += 8
        res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
        while i < n:
            res += a[lo + i]
            i += 1
        return res
    n2 = n // 2
    n2 -= n2 % 8
    return pairwise_sum(a, lo, n2) + pairwise_sum(a, lo + n2, n - n2)


@nb.njit(cache=True, nogil=True)
def _stable_partition(ord_idx, ord_val, start, end, pos_split, goes_left, tmp_idx, tmp_val):
    """Split every feature's sorted segment ``[start, end)`` into the samples that go left
    (first, ``pos_split - start`` of them) and those that go right, each side kept sorted."""
    d = ord_idx.shape[0]
    for f in range(d):
        a = start
        b = pos_split
        for q in range(start, end):
            s = ord_idx[f, q]
            if goes_left[s]:
                tmp_idx[a] = s
                tmp_val[a] = ord_val[f, q]
                a += 1
            else:
                tmp_idx[b] = s
                tmp_val[b] = ord_val[f, q]
                b += 1
        for q in range(start, end):
            ord_idx[f, q] = tmp_idx[q]
            ord_val[f, q] = tmp_val[q]


@nb.njit(cache=True, nogil=True)
def build_tree(
    xt,
    y,
    root_idx,
    root_val,
    seed,
    max_depth,
    min_samples_split,
    min_samples_leaf,
    exact_ties,
    node_feature,
    node_threshold,
    node_left,
    node_right,
    leaf_of,
    importances,
):
    """Grow one regression tree on ``y`` (float64, one value per sample) exactly as sklearn's
    ``DecisionTreeRegressor(criterion="squared_error", splitter="best")`` does with unit sample
    weights. ``xt`` (d, n) float32 are the features; ``root_idx``/``root_val`` (d, n) hold each
    feature's samples in ascending order (ties by index).

    sklearn keeps one ``samples`` array that each feature's sort reorders and the chosen split
    partitions; every sum runs in that order. We keep that array too, but fill it from the
    presorted segment when a feature has no tied values in the node (the sorted order is then
    unique, whatever sort produced it) and run sklearn's own introsort only when it has ties.

    Writes the nodes (children ``-1`` for a leaf), ``leaf_of[i]`` (the leaf of training sample i)
    and the tree's unnormalised impurity importances (``compute_feature_importances(normalize=
    False)``); returns the node count.
    """
    d, n = root_idx.shape
    ord_idx = root_idx.copy()
    ord_val = root_val.copy()
    tmp_idx = np.empty(n, dtype=ord_idx.dtype)
    tmp_val = np.empty(n, dtype=ord_val.dtype)
    goes_left = np.zeros(n, dtype=np.bool_)
    samples = np.arange(n).astype(ord_idx.dtype)
    fv = np.empty(n, dtype=np.float32)
    features = np.arange(d)
    constant_features = np.empty(d, dtype=np.int64)
    state = np.empty(1, dtype=np.int64)
    state[0] = seed
    weighted_n_samples = float(n)
    node_impurity = np.zeros(node_feature.size)
    node_wn = np.zeros(node_feature.size)
    for f in range(d):
        importances[f] = 0.0

    # Depth-first stack: (start, end, depth, parent, is_left, impurity, n_constant_features).
    cap = 2 * max_depth + 4
    st_start = np.empty(cap, dtype=np.int64)
    st_end = np.empty(cap, dtype=np.int64)
    st_depth = np.empty(cap, dtype=np.int64)
    st_parent = np.empty(cap, dtype=np.int64)
    st_is_left = np.empty(cap, dtype=np.bool_)
    st_impurity = np.empty(cap)
    st_nconst = np.empty(cap, dtype=np.int64)
    st_start[0] = 0
    st_end[0] = n
    st_depth[0] = 0
    st_parent[0] = -1
    st_is_left[0] = False
    st_impurity[0] = np.inf
    st_nconst[0] = 0
    top = 1
    first = True
    node_count = 0
    while top > 0:
        top -= 1
        start = st_start[top]
        end = st_end[top]
        depth = st_depth[top]
        parent = st_parent[top]
        is_left = st_is_left[top]
        impurity = st_impurity[top]
        n_known_constants = st_nconst[top]
        n_node = end - start

        # Criterion.init: node sums in the samples' current order.
        sum_total = 0.0
        sq_sum_total = 0.0
        wn = 0.0
        for q in range(start, end):
            yi = y[samples[q]]
            sum_total += yi
            sq_sum_total += yi * yi
            wn += 1.0

        is_leaf = depth >= max_depth or n_node < min_samples_split or n_node < 2 * min_samples_leaf
        if first:
            impurity = sq_sum_total / wn - (sum_total / wn) ** 2.0
            first = False
        is_leaf = is_leaf or impurity <= EPSILON

        best_pos = end
        best_feature = 0
        best_threshold = 0.0
        imp_left = 0.0
        imp_right = 0.0
        n_total_constants = n_known_constants
        if not is_leaf:
            # node_split_best: draw features without replacement, skip constant ones.
            best_proxy = -np.inf
            pending = -1
            cur_idx = samples
            cur_val = fv
            f_i = d
            n_visited = 0
            n_found_constants = 0
            n_drawn_constants = 0
            while f_i > n_total_constants and (
                n_visited < d or n_visited <= n_found_constants + n_drawn_constants
            ):
                n_visited += 1
                f_j = _rand_int(n_drawn_constants, f_i - n_found_constants, state)
                if f_j < n_known_constants:
                    tmp = features[n_drawn_constants]
                    features[n_drawn_constants] = features[f_j]
                    features[f_j] = tmp
                    n_drawn_constants += 1
                    continue
                f_j += n_found_constants
                f = features[f_j]
                # sort_samples_and_feature_values(f). All-equal values: sklearn's introsort
                # leaves the order as it is. Distinct values: the presorted order is the sorted
                # order, used in place and copied to `samples` only if a later step needs it.
                if ord_val[f, end - 1] != ord_val[f, start]:
                    tied = False
                    if exact_ties:
                        for q in range(start + 1, end):
                            if ord_val[f, q] == ord_val[f, q - 1]:
                                tied = True
                                break
                    if tied:
                        if pending >= 0:
                            for q in range(start, end):
                                samples[q] = ord_idx[pending, q]
                            pending = -1
                        for q in range(start, end):
                            fv[q] = xt[f, samples[q]]
                        introsort_3way(fv, samples, start, end - start)
                        cur_idx = samples
                        cur_val = fv
                    else:
                        pending = f
                        cur_idx = ord_idx[f]
                        cur_val = ord_val[f]
                if ord_val[f, end - 1] <= ord_val[f, start] + FEATURE_THRESHOLD:
                    tmp = features[f_j]
                    features[f_j] = features[n_total_constants]
                    features[n_total_constants] = tmp
                    n_found_constants += 1
                    n_total_constants += 1
                    continue
                f_i -= 1
                tmp = features[f_i]
                features[f_i] = features[f_j]
                features[f_j] = tmp

                # criterion.reset(), then every split position between distinct values.
                pos = start
                sum_left = 0.0
                wn_left = 0.0
                p = start
                while p < end:
                    p += 1
                    while p < end and cur_val[p] <= cur_val[p - 1] + FEATURE_THRESHOLD:
                        p += 1
                    if p == end:
                        continue
                    if p - start < min_samples_leaf or end - p < min_samples_leaf:
                        continue
                    # criterion.update(p): forward from pos, or backward from end. Written out
                    # here and after the search: as a shared inlined helper returning a tuple
                    # the whole fit ran 1.8x slower (benchmarked).
                    if (p - pos) <= (end - p):
                        for q in range(pos, p):
                            sum_left += y[cur_idx[q]]
                            wn_left += 1.0
                    else:
                        sum_left = sum_total
                        wn_left = wn
                        for q in range(end - 1, p - 1, -1):
                            sum_left -= y[cur_idx[q]]
                            wn_left -= 1.0
                    pos = p
                    wn_right = wn - wn_left
                    sum_right = sum_total - sum_left
                    proxy = sum_left * sum_left / wn_left + sum_right * sum_right / wn_right
                    if proxy > best_proxy:
                        best_proxy = proxy
                        best_feature = f
                        best_pos = p
                        best_threshold = float(cur_val[p - 1]) / 2.0 + float(cur_val[p]) / 2.0

            if pending >= 0:
                for q in range(start, end):
                    samples[q] = ord_idx[pending, q]
            improvement = -np.inf
            if best_pos < end:
                # partition_samples_final: in-place swaps, as sklearn orders the children.
                part_start = start
                part_end = end
                while part_start < part_end:
                    if float(xt[best_feature, samples[part_start]]) <= best_threshold:
                        part_start += 1
                    else:
                        part_end -= 1
                        tmp_s = samples[part_start]
                        samples[part_start] = samples[part_end]
                        samples[part_end] = tmp_s
                for q in range(start, best_pos):
                    goes_left[samples[q]] = True
                for q in range(best_pos, end):
                    goes_left[samples[q]] = False
                # criterion.reset(); update(best_pos); children_impurity(); impurity_improvement().
                sum_left = 0.0
                wn_left = 0.0
                if (best_pos - start) <= (end - best_pos):
                    for q in range(start, best_pos):
                        sum_left += y[samples[q]]
                        wn_left += 1.0
                else:
                    sum_left = sum_total
                    wn_left = wn
                    for q in range(end - 1, best_pos - 1, -1):
                        sum_left -= y[samples[q]]
                        wn_left -= 1.0
                wn_right = wn - wn_left
                sum_right = sum_total - sum_left
                sq_sum_left = 0.0
                for q in range(start, best_pos):
                    yi = y[samples[q]]
                    sq_sum_left += yi * yi
                sq_sum_right = sq_sum_total - sq_sum_left
                imp_left = sq_sum_left / wn_left - (sum_left / wn_left) ** 2.0
                imp_right = sq_sum_right / wn_right - (sum_right / wn_right) ** 2.0
                improvement = (wn / weighted_n_samples) * (
                    impurity - wn_right / wn * imp_right - wn_left / wn * imp_left
                )
            # Constant-feature invariant for siblings and children (node_split_best's memcpys).
            for t in range(n_known_constants):
                features[t] = constant_features[t]
            for t in range(n_known_constants, n_total_constants):
                constant_features[t] = features[t]
            is_leaf = best_pos >= end or improvement + EPSILON < 0.0

        node_id = node_count
        node_count += 1
        if parent >= 0:
            if is_left:
                node_left[parent] = node_id
            else:
                node_right[parent] = node_id
        node_impurity[node_id] = impurity
        node_wn[node_id] = wn
        node_left[node_id] = -1
        node_right[node_id] = -1
        if is_leaf:
            node_feature[node_id] = -2
            node_threshold[node_id] = -2.0
            for q in range(start, end):
                leaf_of[samples[q]] = node_id
        else:
            node_feature[node_id] = best_feature
            node_threshold[node_id] = best_threshold
            _stable_partition(ord_idx, ord_val, start, end, best_pos, goes_left, tmp_idx, tmp_val)
            # Right child pushed first: the left one is built first (depth-first).
            st_start[top] = best_pos
            st_end[top] = end
            st_depth[top] = depth + 1
            st_parent[top] = node_id
            st_is_left[top] = False
            st_impurity[top] = imp_right
            st_nconst[top] = n_total_constants
            top += 1
            st_start[top] = start
            st_end[top] = best_pos
            st_depth[top] = depth + 1
            st_parent[top] = node_id
            st_is_left[top] = True
            st_impurity[top] = imp_left
            st_nconst[top] = n_total_constants
            top += 1

    # Tree.compute_feature_importances(normalize=False).
    for node in range(node_count):
        left = node_left[node]
        if left != -1:
            right = node_right[node]
            importances[node_feature[node]] += (
                node_wn[node] * node_impurity[node]
                - node_wn[left] * node_impurity[left]
                - node_wn[right] * node_impurity[right]
            )
    for f in range(d):
        importances[f] /= node_wn[0]
    return node_count


@nb.njit(cache=True, nogil=True)
def fit_stages(
    xt,
    y_enc,
    n_classes,
    raw,
    root_idx,
    root_val,
    seeds,
    learning_rate,
    max_depth,
    min_samples_split,
    min_samples_leaf,
    exact_ties,
    node_feature,
    node_threshold,
    node_left,
    node_right,
    node_value,
    node_count,
    importances,
):
    """All boosting stages of the log-loss (``_fit_stage`` + ``_update_terminal_regions``).

    ``raw`` (n, n_trees) holds the initial raw predictions and is updated in place; the ensemble
    arrays are indexed ``[stage, k, node]``; ``seeds[stage, k]`` is each tree's splitter seed.
    """
    n = y_enc.shape[0]
    n_stages, n_trees = seeds.shape
    multiclass = n_trees > 1
    neg_g = np.empty((n, n_trees))
    y_k = np.empty(n)
    leaf_of = np.empty(n, dtype=np.int64)
    max_nodes = node_feature.shape[2]
    cnt = np.empty(max_nodes, dtype=np.int64)
    first_pos = np.empty(max_nodes, dtype=np.int64)
    fill = np.empty(max_nodes, dtype=np.int64)
    buf_g = np.empty(n)
    buf_h = np.empty(n)
    p = np.empty(n_trees)
    factor = (n_classes - 1) / n_classes
    for stage in range(n_stages):
        # Negative gradient of the half log-loss at the stage's start (sklearn _loss).
        for i in range(n):
            if multiclass:
                max_value = raw[i, 0]
                for k in range(1, n_trees):
                    if raw[i, k] > max_value:
                        max_value = raw[i, k]
                sum_exps = 0.0
                for k in range(n_trees):
                    p[k] = np.exp(raw[i, k] - max_value)
                    sum_exps += p[k]
                for k in range(n_trees):
                    p[k] /= sum_exps
                    neg_g[i, k] = -(p[k] - (1.0 if y_enc[i] == k else 0.0))
            else:
                yt = float(y_enc[i])
                r = raw[i, 0]
                if r > -37.0:
                    e = np.exp(-r)
                    g = ((1.0 - yt) - yt * e) / (1.0 + e)
                else:
                    g = np.exp(r) - yt
                neg_g[i, 0] = -g
        for k in range(n_trees):
            for i in range(n):
                if multiclass:
                    y_k[i] = 1.0 if y_enc[i] == k else 0.0
                else:
                    y_k[i] = float(y_enc[i])
            count = build_tree(
                xt,
                neg_g[:, k].copy(),
                root_idx,
                root_val,
                seeds[stage, k],
                max_depth,
                min_samples_split,
                min_samples_leaf,
                exact_ties,
                node_feature[stage, k],
                node_threshold[stage, k],
                node_left[stage, k],
                node_right[stage, k],
                leaf_of,
                importances[stage, k],
            )
            node_count[stage, k] = count
            # One Newton step per leaf (_update_terminal_regions): np.average over the leaf's
            # samples in ascending order, i.e. numpy's pairwise sums, divided by the count.
            for t in range(count):
                cnt[t] = 0
            for i in range(n):
                cnt[leaf_of[i]] += 1
            offset = 0
            for t in range(count):
                first_pos[t] = offset
                fill[t] = offset
                offset += cnt[t]
            for i in range(n):
                leaf = leaf_of[i]
                g = neg_g[i, k]
                prob = y_k[i] - g
                buf_g[fill[leaf]] = g
                buf_h[fill[leaf]] = prob * (1.0 - prob)
                fill[leaf] += 1
            for t in range(count):
                node_value[stage, k, t] = 0.0
                if node_left[stage, k, t] == -1:
                    numerator = pairwise_sum(buf_g, first_pos[t], cnt[t]) / cnt[t]
                    if multiclass:
                        numerator *= factor
                    denominator = pairwise_sum(buf_h, first_pos[t], cnt[t]) / cnt[t]
                    if abs(denominator) >= 1e-150:
                        node_value[stage, k, t] = numerator / denominator
            for i in range(n):
                raw[i, k] += learning_rate * node_value[stage, k, leaf_of[i]]


@nb.njit(cache=True, nogil=True)
def predict_raw(X, raw, learning_rate, node_feature, node_threshold, node_left, node_right, node_value):
    """Add every tree's ``learning_rate * leaf value`` to ``raw`` (n, n_trees) in place; float32
    features compare with float64 thresholds (``x <= threshold`` goes left), as sklearn does."""
    n = X.shape[0]
    n_stages, n_trees = node_feature.shape[0], node_feature.shape[1]
    for i in range(n):
        for stage in range(n_stages):
            for k in range(n_trees):
                node = 0
                while node_left[stage, k, node] != -1:
                    if float(X[i, node_feature[stage, k, node]]) <= node_threshold[stage, k, node]:
                        node = node_left[stage, k, node]
                    else:
                        node = node_right[stage, k, node]
                raw[i, k] += learning_rate * node_value[stage, k, node]
