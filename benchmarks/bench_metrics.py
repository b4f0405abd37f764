"""Wall time of every score (``paper`` and ``fast`` presets) and fast-vs-paper rank agreement.

Part 1 (timing): one 10-d representation — a noisy linear mix of the factors — of a synthetic
data set with dSprites' factor sizes [3, 6, 40, 32, 32] whose observations are cheap (the factor
vector itself, so the time is the scores' own). Each score runs through ``evaluate`` at the
``paper`` and ``fast`` presets (``--n-jobs`` parallel classifier fits) and, for the ratio, through
a straightforward single-threaded implementation written here: the reference's structure (one
encoder call per 16-point chunk / 64-image batch, one sklearn call per MI pair, classifiers fitted
one after the other with library-default threading; sklearn's own ``GradientBoostingClassifier``).
The naive scores use the paper preset's seeds, so DCI and the downstream tasks see the same samples
and classifier seeds: their values are printed side by side with the paper preset's (which grows
its boosted trees with ``disentbench.metrics.boosting``). ``--exact-ties-check`` also re-runs the
boosted scores with ``exact_ties=True``.

Part 2 (agreement): Spearman rank correlation between ``fast`` and ``paper`` values over
representations of increasing entanglement (random rotation of growing angle plus growing noise),
for every key the ``fast`` preset changes.

    python benchmarks/bench_metrics.py                  # full run (long: naive sklearn DCI is minutes)
    python benchmarks/bench_metrics.py --quick          # reduced run (see --help)

The machine may be shared: ``os.getloadavg()`` is printed with the results.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from collections.abc import Callable, Sequence

import numpy as np
import scipy.linalg
import scipy.stats
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV
from sklearn.metrics import mutual_info_score, roc_auc_score
from sklearn.model_selection import KFold
from sklearn.preprocessing import MultiLabelBinarizer
from sklearn.svm import LinearSVC

from disentbench.datasets.base import GroundTruthData
from disentbench.metrics.dci import completeness as dci_completeness
from disentbench.metrics.dci import disentanglement as dci_disentanglement
from disentbench.metrics.evaluate import STUDY_METRICS, evaluate
from disentbench.metrics.presets import PAPER, Preset

DSPRITES_SIZES = (3, 6, 40, 32, 32)


class MixData(GroundTruthData):
    """Uniform independent factors of the given sizes; the observation is the factor vector."""

    name = "bench_mix"

    def __init__(self, sizes: Sequence[int]):
        self._sizes = [int(s) for s in sizes]

    @property
    def factor_names(self) -> list[str]:
        return [f"f{i}" for i in range(len(self._sizes))]

    @property
    def factors_num_values(self) -> list[int]:
        return list(self._sizes)

    @property
    def observation_shape(self) -> tuple[int, int, int]:
        return (len(self._sizes), 1, 1)

    def sample_observations_from_factors(self, factors: np.ndarray, random_state) -> np.ndarray:
        return np.asarray(factors, dtype=np.float32)


def _hashed_normal(keys: np.ndarray, dim: int, seed: int) -> np.ndarray:
    """Standard-normal noise ``(len(keys), dim)`` that is a fixed function of each integer key
    (splitmix64 hash, Box-Muller): the same observation always gets the same noise."""
    with np.errstate(over="ignore"):
        base = keys.astype(np.uint64)[:, None] * np.uint64(2 * dim) + np.arange(2 * dim, dtype=np.uint64)
        z = base + np.uint64(seed) * np.uint64(0x632BE59BD9B4E019) + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    u = ((z >> np.uint64(11)).astype(np.float64) + 0.5) / 2.0**53
    u1, u2 = u[:, :dim], u[:, dim:]
    return np.sqrt(-2 * np.log(u1)) * np.cos(2 * np.pi * u2)


def make_representation(
    sizes: Sequence[int], angle: float, noise: float, seed: int = 0, dim: int = 10
) -> Callable[[np.ndarray], np.ndarray]:
    """Standardised factors in the first K of ``dim`` coordinates, rotated by ``expm(angle * A)``
    (A a fixed random skew-symmetric matrix, unit spectral norm), plus Gaussian noise of std
    ``noise``. Deterministic like an encoder: the noise is a fixed function of the factor values,
    so two evaluations of the same representation see the same codes for the same samples."""
    sizes_arr = np.asarray(sizes, dtype=np.float64)
    k = sizes_arr.size
    a = np.random.RandomState(seed).randn(dim, dim)
    a = a - a.T
    a /= np.linalg.norm(a, 2)
    rot = scipy.linalg.expm(angle * a)
    radix = np.cumprod([1, *[int(v) for v in sizes[:-1]]])

    def rep(obs: np.ndarray) -> np.ndarray:
        f = np.asarray(obs, dtype=np.float64).reshape(len(obs), -1)
        z = np.zeros((len(f), dim))
        z[:, :k] = (f - (sizes_arr - 1) / 2) / np.sqrt((sizes_arr**2 - 1) / 12 + 1e-12)
        keys = np.rint(f).astype(np.int64) @ radix
        return z @ rot + noise * _hashed_normal(keys, dim, seed + 1)

    return rep


# ---- straightforward single-threaded implementations (the reference's structure) --------------


def _sample(data, f, n, rs, batch=16):
    codes, factors = [], []
    for i in range(0, n, batch):
        fac, obs = data.sample(min(batch, n - i), rs)
        factors.append(fac)
        codes.append(f(obs))
    return np.concatenate(codes), np.concatenate(factors)


def _discretize(z, bins=20):
    out = np.zeros_like(z)
    for i in range(z.shape[1]):
        out[:, i] = np.digitize(z[:, i], np.histogram(z[:, i], bins)[1][:-1])
    return out


def _mi(a, b):
    return np.array(
        [[mutual_info_score(b[:, j], a[:, i]) for j in range(b.shape[1])] for i in range(a.shape[1])]
    )


def naive_beta_vae(data, f, rs, num_train=10000, num_eval=5000, batch=64):
    def points(n):
        x, y = [], []
        for _ in range(n):
            k = rs.randint(data.num_factors)
            f1, f2 = data.sample_factors(batch, rs), data.sample_factors(batch, rs)
            f2[:, k] = f1[:, k]
            o1 = data.sample_observations_from_factors(f1, rs)
            o2 = data.sample_observations_from_factors(f2, rs)
            x.append(np.mean(np.abs(f(o1) - f(o2)), axis=0))
            y.append(k)
        return np.array(x), np.array(y)

    x, y = points(num_train)
    model = LogisticRegression(random_state=rs).fit(x, y)
    xe, ye = points(num_eval)
    return float(np.mean(model.predict(xe) == ye))


def naive_factor_vae(data, f, rs, num_train=10000, num_eval=5000, num_var=10000, batch=64):
    obs = data.sample_observations(num_var, rs)
    var = np.var(np.concatenate([f(obs[i : i + 64]) for i in range(0, num_var, 64)]), axis=0, ddof=1)
    active = np.sqrt(var) >= 0.05

    def votes(n):
        v = np.zeros((data.num_factors, var.size), dtype=np.int64)
        for _ in range(n):
            k = rs.randint(data.num_factors)
            fac = data.sample_factors(batch, rs)
            fac[:, k] = fac[0, k]
            z = f(data.sample_observations_from_factors(fac, rs))
            v[k, np.argmin(np.var(z, axis=0, ddof=1)[active] / var[active])] += 1
        return v

    train = votes(num_train)
    ev = votes(num_eval)
    cls = np.argmax(train, axis=0)
    return float(np.sum(ev[cls, np.arange(var.size)]) / np.sum(ev))


def naive_mig(data, f, rs, n=10000):
    z, y = _sample(data, f, n, rs)
    m = _mi(_discretize(z), y)
    h = np.array([mutual_info_score(y[:, j], y[:, j]) for j in range(y.shape[1])])
    s = np.sort(m, axis=0)[::-1]
    return float(np.mean((s[0] - s[1]) / h))


def naive_dci(data, f, rs, num_train=10000, num_test=5000):
    z, y = _sample(data, f, num_train, rs)
    zt, yt = _sample(data, f, num_test, rs)
    seed = int(rs.randint(2**31 - 1))
    r = np.zeros((z.shape[1], y.shape[1]))
    acc = []
    for j in range(y.shape[1]):
        model = GradientBoostingClassifier(random_state=seed).fit(z, y[:, j])
        r[:, j] = np.abs(model.feature_importances_)
        acc.append(np.mean(model.predict(zt) == yt[:, j]))
    return {
        "dci.disentanglement": dci_disentanglement(r),
        "dci.completeness": dci_completeness(r),
        "dci.informativeness_test": float(np.mean(acc)),
    }


def naive_sap(data, f, rs, num_train=10000, num_test=5000):
    z, y = _sample(data, f, num_train, rs)
    zt, yt = _sample(data, f, num_test, rs)
    s = np.zeros((z.shape[1], y.shape[1]))
    for i in range(z.shape[1]):
        for j in range(y.shape[1]):
            clf = LinearSVC(C=0.01, class_weight="balanced").fit(z[:, i : i + 1], y[:, j])
            s[i, j] = np.mean(clf.predict(zt[:, i : i + 1]) == yt[:, j])
    s = np.sort(s, axis=0)
    return float(np.mean(s[-1] - s[-2]))


def naive_modularity_explicitness(data, f, rs, num_train=10000, num_test=5000):
    z, y = _sample(data, f, num_train, rs)
    zt, yt = _sample(data, f, num_test, rs)
    m = _mi(_discretize(z), y) ** 2
    mx = m.max(axis=1)
    modularity = np.mean(np.where(mx > 0, 1 - (m.sum(axis=1) - mx) / (mx * (m.shape[1] - 1) + 1e-300), 0))
    mu, sd = z.mean(axis=0), z.std(axis=0)
    aucs = []
    for j in range(y.shape[1]):
        clf = LogisticRegression().fit((z - mu) / sd, y[:, j])
        onehot = MultiLabelBinarizer().fit_transform(yt[:, j : j + 1])
        aucs.append(roc_auc_score(onehot, clf.predict_proba((zt - mu) / sd)))
    return float(modularity), float(np.mean(aucs))


def naive_unsupervised(data, f, rs, n=10000):
    z, _ = _sample(data, f, n, rs)
    c = np.cov(z.T)
    tc = 0.5 * (np.sum(np.log(np.diag(c))) - np.linalg.slogdet(c)[1])
    w = 2 * np.trace(c) - 2 * np.trace(scipy.linalg.sqrtm(np.diag(np.diag(c)) @ c))
    zd = _discretize(z)
    mi = _mi(zd, zd)
    np.fill_diagonal(mi, 0)
    return float(tc), float(np.real(w)), float(mi.sum() / (mi.size - len(mi)))


def naive_downstream(data, f, rs, make, name, sizes=(10, 100, 1000, 10000), num_test=5000):
    splits = [(*_sample(data, f, n, rs), *_sample(data, f, num_test, rs)) for n in sizes]
    seed = int(rs.randint(2**31 - 1))  # one classifier seed after all samples, as evaluate does
    out = {}
    for n, (z, y, zt, yt) in zip(sizes, splits, strict=True):
        accs = [np.mean(make(seed).fit(z, y[:, j]).predict(zt) == yt[:, j]) for j in range(y.shape[1])]
        out[f"{name}.{n}:mean_test_accuracy"] = float(np.mean(accs))
    return out


NAIVE = {
    "beta_vae": naive_beta_vae,
    "factor_vae": naive_factor_vae,
    "mig": naive_mig,
    "dci": naive_dci,
    "sap": naive_sap,
    "modularity_explicitness": naive_modularity_explicitness,
    "unsupervised": naive_unsupervised,
    "downstream_logistic_regression": lambda d, f, rs: naive_downstream(
        d,
        f,
        rs,
        lambda seed: LogisticRegressionCV(Cs=10, cv=KFold(n_splits=5)),
        "downstream_logistic_regression",
    ),
    "downstream_boosted_trees": lambda d, f, rs: naive_downstream(
        d, f, rs, lambda seed: GradientBoostingClassifier(random_state=seed), "downstream_boosted_trees"
    ),
}

#: The keys compared between presets (the ``fast`` preset changes these scores).
SPEARMAN_KEYS = (
    "beta_vae.eval_accuracy",
    "factor_vae.eval_accuracy",
    "dci.disentanglement",
    "dci.completeness",
    "dci.informativeness_test",
    "sap.SAP_score",
    *(f"downstream_logistic_regression.{n}:mean_test_accuracy" for n in (10, 100, 1000, 10000)),
    *(f"downstream_boosted_trees.{n}:mean_test_accuracy" for n in (10, 100, 1000, 10000)),
)


def _sizes(text: str) -> tuple[int, ...]:
    return tuple(int(s) for s in text.split(","))


def timing(args: argparse.Namespace) -> None:
    data = MixData(args.factor_sizes)
    rep = make_representation(args.factor_sizes, angle=0.3, noise=0.1)
    metrics = [m for m in STUDY_METRICS if m not in args.skip]
    rows = {}
    results = {}
    for preset in ("paper", "fast"):
        t0 = time.perf_counter()
        out = evaluate(data, rep, preset=preset, metrics=metrics, n_jobs=args.n_jobs)
        total = time.perf_counter() - t0
        results[preset] = out
        for m in metrics:
            rows.setdefault(m, {})[preset] = out[f"time.{m}"]
            if f"error.{m}" in out:
                print(f"  {preset} {m} failed: {out[f'error.{m}']}")
        rows.setdefault("TOTAL", {})[preset] = total
        print(f"  evaluate(preset={preset!r}) {total:.1f} s  load {os.getloadavg()}", flush=True)
    agreement_rows = []
    for m in metrics:
        if m in args.skip_naive:
            continue
        # The same seed as evaluate's: for DCI and the downstream tasks the naive code then sees
        # the same samples and classifier seed, so its values must equal the paper preset's.
        seed = results["paper"][f"meta.seed.{m}"]
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            naive_values = NAIVE[m](data, rep, np.random.RandomState(seed))
        rows[m]["naive"] = time.perf_counter() - t0
        print(f"  naive {m}: {rows[m]['naive']:.1f} s", flush=True)
        if isinstance(naive_values, dict):
            for key, value in naive_values.items():
                agreement_rows.append((key, results["paper"][key], value))
    print(f"\nTiming: factor sizes {list(args.factor_sizes)}, d=10, n_jobs={args.n_jobs}")
    print(f"{'score':34s} {'paper s':>9s} {'naive s':>9s} {'naive/paper':>11s} {'fast s':>8s}")
    for m, r in rows.items():
        naive = r.get("naive")
        ratio = f"{naive / r['paper']:.2f}" if naive is not None else "-"
        naive_s = f"{naive:.1f}" if naive is not None else "-"
        print(f"{m:34s} {r['paper']:9.1f} {naive_s:>9s} {ratio:>11s} {r['fast']:8.1f}")
    if agreement_rows:
        print("\nValues, paper preset (disentbench boosting) vs naive (sklearn), same samples and seeds")
        for key, ours, ref in agreement_rows:
            print(f"  {key:58s} {ours:.10f} {ref:.10f} diff {ours - ref:+.1e}")
    if args.exact_ties_check:
        exact_ties_check(data, rep, metrics, results["paper"], args.n_jobs)
    print(f"load average: {os.getloadavg()}")


def exact_ties_check(data, rep, metrics, paper, n_jobs) -> None:
    """Re-run the boosted scores with ``exact_ties=True`` (sklearn's order among tied values);
    prints the value differences and the time ratio."""
    boosted = [m for m in ("dci", "downstream_boosted_trees") if m in metrics]
    params = {m: {**PAPER.params_for(m), "estimator_params": {"exact_ties": True}} for m in boosted}
    preset = Preset("paper_exact_ties", "paper with exact_ties=True", params)
    out = evaluate(data, rep, preset=preset, metrics=boosted, n_jobs=n_jobs)
    print("\nexact_ties=True vs the default (index order among tied values)")
    for m in boosted:
        print(f"  time {m}: {out[f'time.{m}']:.1f} s vs {paper[f'time.{m}']:.1f} s")
    keys = [k for k in SPEARMAN_KEYS if k.split(".")[0] in boosted] + ["dci.informativeness_train"]
    for key in keys:
        print(f"  {key:58s} diff {out[key] - paper[key]:+.1e}")


def agreement(args: argparse.Namespace) -> None:
    data = MixData(args.spearman_factor_sizes)
    n = args.reps
    levels = np.linspace(0.0, 1.0, n)
    values: dict[str, dict[str, list[float]]] = {"paper": {}, "fast": {}}
    metrics = [m for m in STUDY_METRICS if m not in ("mig", "unsupervised")]
    for i, level in enumerate(levels):
        for preset in ("paper", "fast"):
            rep = make_representation(args.spearman_factor_sizes, angle=1.2 * level, noise=0.05 + 0.6 * level)
            t0 = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out = evaluate(data, rep, preset=preset, metrics=metrics, n_jobs=args.n_jobs)
            for key in SPEARMAN_KEYS:
                values[preset].setdefault(key, []).append(out.get(key, float("nan")))
            if args.verbose:
                print({k: round(out.get(k, float("nan")), 4) for k in SPEARMAN_KEYS}, flush=True)
            print(
                f"  rep {i + 1}/{n} (level {level:.2f}) {preset}: {time.perf_counter() - t0:.1f} s "
                f"load {os.getloadavg()}",
                flush=True,
            )
    print(
        f"\nSpearman fast vs paper over {n} representations, factor sizes {list(args.spearman_factor_sizes)}"
    )
    print(f"{'key':58s} {'rho':>6s}  paper values / fast values")
    for key in SPEARMAN_KEYS:
        p, f = np.array(values["paper"][key]), np.array(values["fast"][key])
        rho = scipy.stats.spearmanr(p, f).statistic if np.all(np.isfinite(p + f)) else float("nan")
        print(f"{key:58s} {rho:6.3f}  {np.round(p, 3).tolist()} / {np.round(f, 3).tolist()}")
    print(f"load average: {os.getloadavg()}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--quick",
        action="store_true",
        help="reduced run: no naive DCI/downstream, small "
        "agreement study (5 reps on factor sizes 3,6,10,8,8)",
    )
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--factor-sizes", type=_sizes, default=DSPRITES_SIZES)
    ap.add_argument("--spearman-factor-sizes", type=_sizes, default=None)
    ap.add_argument("--reps", type=int, default=None, help="representations in the agreement study")
    ap.add_argument("--skip", type=lambda s: s.split(","), default=[], help="scores left out of the timing")
    ap.add_argument("--skip-naive", type=lambda s: s.split(","), default=None)
    ap.add_argument("--no-timing", action="store_true")
    ap.add_argument("--no-agreement", action="store_true")
    ap.add_argument("--verbose", action="store_true", help="print every representation's values")
    ap.add_argument(
        "--exact-ties-check",
        action="store_true",
        help="also time DCI and the boosted-trees task with exact_ties=True and compare values",
    )
    args = ap.parse_args()
    if args.spearman_factor_sizes is None:
        args.spearman_factor_sizes = (3, 6, 10, 8, 8) if args.quick else DSPRITES_SIZES
    if args.reps is None:
        args.reps = 5 if args.quick else 8
    if args.skip_naive is None:
        args.skip_naive = (
            ["dci", "downstream_logistic_regression", "downstream_boosted_trees"] if args.quick else []
        )
    print(f"load average at start: {os.getloadavg()}", flush=True)
    if not args.no_timing:
        timing(args)
    if not args.no_agreement:
        agreement(args)


if __name__ == "__main__":
    main()
