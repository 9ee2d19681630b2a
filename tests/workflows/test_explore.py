"""explore on tiny models: labelled and unlabelled data, the choice of k, the per-example
CSV, the report, and bad input."""

from __future__ import annotations

import csv
import json
import random

import numpy as np
import pytest

from tests.conftest import make_image, make_text, write_image_folder
from transferkit import explore
from transferkit.cli.main import main
from transferkit.errors import ConfigError, DataError, TransferkitError
from transferkit.evaluation.embedding import k_choice_sentence, scan_k, scanned_ks


def run(args, capsys):
    """Exit code, stdout and stderr, with rich's line wrapping undone."""
    code = 0
    try:
        main([str(a) for a in args])
    except SystemExit as exc:
        code = exc.code or 0
    captured = capsys.readouterr()
    return code, " ".join(captured.out.split()), captured.err


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture
def loose_images(tmp_path):
    """18 generated images of three kinds directly in one folder, no class folders."""
    root = tmp_path / "loose"
    root.mkdir()
    rng = random.Random(0)
    for i in range(18):
        make_image(i % 3, rng).save(root / f"photo_{i:02d}.png")
    (root / "notes.md").write_text("not an image")
    return root


@pytest.fixture
def text_lines(tmp_path):
    """A plain-text file of 24 sentences, one per line, with blank lines between some."""
    rng = random.Random(1)
    lines = [make_text(i % 2, rng) + ("\n" if i % 5 == 0 else "") for i in range(24)]
    path = tmp_path / "sentences.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_silhouette_picks_the_k_of_well_separated_blobs():
    rng = np.random.default_rng(0)
    for true_k in (3, 5):
        centres = rng.normal(scale=20.0, size=(true_k, 16))
        x = np.concatenate([c + rng.normal(size=(30, 16)) for c in centres])
        scan = scan_k(x, seed=0)
        assert scan.best == true_k, scan.scores
        assert scan.scores[true_k] > 0.7 and scan.runner_up != true_k
        sizes = np.bincount(scan.clusters[true_k])
        assert sorted(sizes.tolist()) == [30] * true_k
    assert scanned_ks(10) == list(range(2, 10)) and scanned_ks(500) == list(range(2, 11))
    sentence = k_choice_sentence(8, "classes", 0.07, [(2, 0.09), (3, 0.08)])
    assert "8 clusters (the number of classes)" in sentence and "k = 2 (0.090)" in sentence


def test_unlabelled_image_folder_is_clustered_by_silhouette(loose_images, tmp_path):
    result = explore(loose_images, "tiny-cnn", out=tmp_path / "ex")
    assert not result.labelled and result.labels is None and result.classes == []
    assert result.cluster_ari is None and result.knn_accuracy is None
    assert result.k_source == "silhouette" and result.k == result.scan_ranking()[0][0]
    assert set(result.silhouettes) == set(range(2, 11)) and result.skipped == 1
    rows = read_csv(result.out / "clusters.csv")
    assert len(rows) == 18 and list(rows[0]) == ["origin", "x", "y", "cluster"]
    assert rows[0]["origin"] == "photo_00.png"
    assert {int(r["cluster"]) for r in rows} <= set(range(result.k))
    summary = json.loads((result.out / "results.json").read_text())
    assert summary["labelled"] is False and summary["clusters"]["k"] == result.k
    html = (result.out / "report.html").read_text()
    assert "<h1>loose through the eyes of tiny-cnn</h1>" in html
    assert "No labels, so no nearest-neighbour accuracy" in html and "nan" not in html
    assert html.count("<figure") == 1 + len(set(result.clusters.tolist()))  # map + montages


def test_unlabelled_text_file_and_clusters_override(text_lines, tmp_path):
    result = explore(text_lines, "tiny-bert", clusters=3, out=tmp_path / "ex")
    assert result.n == 24 and result.k == 3 and result.k_source == "given"
    assert result.origins[:2] == ["line 1", "line 3"]  # blank lines are not examples
    assert sorted(set(result.clusters.tolist())) == [0, 1, 2]
    rows = read_csv(result.out / "clusters.csv")
    assert list(rows[0]) == ["origin", "text", "x", "y", "cluster"]
    assert [r["text"] for r in rows] == result.inputs and len(rows) == 24
    assert result.to_dict()["clusters"]["silhouette"] == pytest.approx(result.silhouette)


def test_a_text_only_table_and_ignored_labels(text_table, tmp_path):
    only_text = tmp_path / "only.csv"
    with open(text_table, newline="") as src, open(only_text, "w", newline="") as dst:
        writer = csv.writer(dst)
        for row in csv.reader(src):
            writer.writerow(row[:1])
    result = explore(only_text, "tiny-bert")
    assert not result.labelled and result.n == 40 and result.origins[0] == "only.csv row 2"
    ignored = explore(text_table, "tiny-bert", labels=False)
    assert not ignored.labelled and ignored.cluster_ari is None
    assert ignored.k == result.k  # the same texts, so the same clusters
    spelled = explore(text_table, "tiny-bert", label_column="none")
    assert not spelled.labelled


def test_labelled_data_reports_ari_with_k_the_number_of_classes(text_table, tmp_path):
    result = explore(text_table, "tiny-bert", out=tmp_path / "ex")
    assert result.labelled and result.classes == ["neg", "pos"]
    assert result.k == 2 and result.k_source == "classes"
    assert -1.0 <= result.cluster_ari <= 1.0 and 0.0 <= result.knn_accuracy <= 1.0
    assert result.silhouettes  # the silhouette's own choice is still there to show
    rows = read_csv(result.out / "clusters.csv")
    assert list(rows[0]) == ["origin", "text", "x", "y", "cluster", "label"]
    assert [r["label"] for r in rows] == result.labels
    html = (result.out / "report.html").read_text()
    assert "coloured by k-means cluster" in html and "coloured by label" in html
    assert "adjusted Rand index" in html and "clusters.csv" in html


def test_explore_maps_and_measures_and_compares_domains(image_folder, tmp_path):
    other = write_image_folder(tmp_path / "other", 12, seed=7)
    result = explore(image_folder, "tiny-cnn", second=other, out=tmp_path / "ex")
    assert result.points.shape == (48, 2) and result.groups.count("images") == 24
    assert len(result.clusters) == 24 and len(result.labels) == 48
    assert 0.0 <= result.knn_accuracy <= 1.0 and -1.0 <= result.cluster_ari <= 1.0
    assert 0.0 <= result.domain_distance <= 2.0
    assert (result.out / "report.html").exists()
    assert len(read_csv(result.out / "clusters.csv")) == 24  # the explored data only


def test_near_disjoint_domains_are_a_warning_not_a_good_badge(image_folder):
    from transferkit.reporting.explore_report import explore_report

    result = explore(image_folder, "tiny-cnn")
    result.domain_distance = 1.9
    section = explore_report(result, "tiny-cnn", str(image_folder), "/x/sketch").sections[-2]
    assert section.level == "warn" and "transferkit adapt" in (section.verdict or "")
    assert "do poorly on the other" in section.verdict


def test_bad_input_is_one_sentence(tmp_path, text_table, capsys):
    tiny = write_image_folder(tmp_path / "tiny", 2)
    with pytest.raises(DataError, match="too few to map"):
        explore(tiny, "tiny-cnn")
    with pytest.raises(ConfigError, match="below 40"):
        explore(text_table, "tiny-bert", clusters=40)
    with pytest.raises(ConfigError, match="2 or more"):
        explore(text_table, "tiny-bert", clusters=1)
    (tmp_path / "empty.txt").write_text("\n\n")
    with pytest.raises(DataError, match="no text"):
        explore(tmp_path / "empty.txt", "tiny-bert")
    (tmp_path / "doc.pdf").write_text("x")
    with pytest.raises(TransferkitError, match=r"\.txt"):
        explore(tmp_path / "doc.pdf", "tiny-bert")
    for args in (["--clusters", "1"], ["--clusters", "40"]):
        code, _, err = run(["explore", text_table, "-m", "tiny-bert", *args], capsys)
        message = " ".join(err.split())  # rich wraps long lines
        assert code == 2 and "Traceback" not in err and message.startswith("error: ")
        assert "clusters" in message and message.endswith(".") and ". " not in message


def test_cli_prints_the_chosen_k(image_folder, loose_images, tmp_path, capsys):
    code, stdout, _ = run(["explore", image_folder, "-m", "tiny-cnn"], capsys)
    assert code == 0 and "Nearest-neighbour accuracy" in stdout
    assert "2 clusters (the number of classes)" in stdout and "by silhouette alone" in stdout
    # a path longer than the 80 columns of a pipe is printed whole, ready to copy
    out = tmp_path / ("a-folder-with-a-long-name-" * 4) / "cli"
    code, stdout, _ = run(["explore", loose_images, "-m", "tiny-cnn", "--out", out], capsys)
    assert code == 0 and "(the best silhouette score)" in stdout and "runner-up k =" in stdout
    assert "No labels, so no adjusted Rand index" in stdout and "nan" not in stdout
    assert f"Clusters: {out / 'clusters.csv'}" in stdout and (out / "clusters.csv").exists()
    assert f"Report: {out / 'report.html'}" in stdout


def test_two_data_sets_of_one_name_stay_apart_on_the_map(tmp_path):
    from transferkit.workflows.explore import group_names

    photo, sketch = tmp_path / "photo" / "dog", tmp_path / "sketch" / "dog"
    assert group_names(photo, sketch, "dog", "dog") == ("photo/dog", "sketch/dog")
    assert group_names(photo, photo, "dog", "dog") == ("dog", "dog (second)")
    assert group_names(photo, tmp_path / "x.csv", "dog", "x.csv") == ("dog", "x.csv")
