"""Write the hand-made VASP fixtures of this folder (run once; the outputs are committed).

Not a VASP run: the numbers are invented. The layout follows VASP 6 vasprun.xml and OUTCAR files,
cut to the parts ASE's readers (``vasp-xml``, ``vasp-out``) use plus a little context. The same two
"calculations" are written in both formats: a host (O5Ta2, one static step) and the host + one Cu
(two ionic steps of a relaxation with the Cu fixed; the last one counts).

    python tests/reference/data/make_vasp_fixtures.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

HERE = Path(__file__).parent
CELL = np.diag([6.0, 6.2, 6.4])
HOST_FRAC = np.array(
    [
        [0.10, 0.12, 0.08],
        [0.52, 0.10, 0.30],
        [0.30, 0.55, 0.12],
        [0.75, 0.62, 0.55],
        [0.20, 0.30, 0.70],
        [0.30, 0.25, 0.30],
        [0.70, 0.40, 0.80],
    ]
)
CU_FRAC = np.array([0.55, 0.80, 0.35])
SPECIES = [
    ("O", 5, 16.0, 6.0, "PAW_PBE O 08Apr2002"),
    ("Ta", 2, 180.948, 11.0, "PAW_PBE Ta_pv 07Sep2000"),
]
CU = ("Cu", 1, 63.546, 11.0, "PAW_PBE Cu 22Jun2005")

# (e_fr_energy, e_wo_entrp, e_0_energy) per ionic step, eV
HOST_STEPS = [(-64.81733519, -64.81645120, -64.81704053)]
HOSTCU_STEPS = [
    (-68.20452270, -68.20352161, -68.20411327),
    (-68.29147028, -68.29045190, -68.29104386),
]

# forces, eV/Å: per step; the mobile Cu (last atom) is held fixed, so it keeps a force
HOST_FORCES = [
    [
        [0.004213, -0.002871, 0.001034],
        [-0.003120, 0.001765, -0.000821],
        [0.000918, 0.003342, -0.002217],
        [-0.002507, -0.001399, 0.004106],
        [0.001882, -0.002005, -0.001511],
        [-0.000871, 0.000463, 0.000215],
        [-0.000515, 0.000705, -0.000806],
    ]
]
HOSTCU_FORCES = [
    [
        [0.184213, -0.092871, 0.051034],
        [-0.123120, 0.081765, -0.060821],
        [0.040918, 0.213342, -0.122217],
        [-0.092507, -0.101399, 0.154106],
        [0.071882, -0.082005, -0.091511],
        [-0.030871, 0.010463, 0.020215],
        [-0.050515, 0.020705, -0.030806],
        [0.000000, -0.050000, 0.080000],
    ],
    [
        [0.014213, -0.012871, 0.021034],
        [-0.023120, 0.011765, -0.010821],
        [0.010918, 0.033342, -0.012217],
        [-0.012507, -0.011399, 0.024106],
        [0.011882, -0.012005, -0.011511],
        [-0.000871, 0.000463, 0.000215],
        [-0.000515, 0.000705, -0.000806],
        [0.211000, -0.347000, 0.128000],
    ],
]
# host atoms move a little during the relaxation (fractional shifts per step)
SHIFTS = [np.zeros((7, 3)), np.array([[0.004, -0.003, 0.002]] * 7) * np.arange(1, 8)[:, None] / 7]


def _v(vec, fmt="{:17.8f}"):
    return "<v>" + "".join(fmt.format(x) for x in vec) + " </v>"


def _crystal(ind):
    rec = np.linalg.inv(CELL).T
    lines = [f"{ind}<crystal>", f'{ind} <varray name="basis" >']
    lines += [f"{ind}  {_v(r)}" for r in CELL]
    lines += [f"{ind} </varray>", f'{ind} <i name="volume">{np.linalg.det(CELL):17.8f} </i>']
    lines += [f'{ind} <varray name="rec_basis" >'] + [f"{ind}  {_v(r)}" for r in rec]
    return lines + [f"{ind} </varray>", f"{ind}</crystal>"]


def _structure(frac, name=None, ind=" "):
    head = f'{ind}<structure name="{name}" >' if name else f"{ind}<structure>"
    lines = [head] + _crystal(ind + " ") + [f'{ind} <varray name="positions" >']
    lines += [f"{ind}  {_v(r)}" for r in frac]
    return lines + [f"{ind} </varray>", f"{ind}</structure>"]


def _energy(e, ind, full):
    fr, wo, e0 = e
    items = []
    if full:
        items += [
            ("alphaZ", 153.41278316),
            ("ewald", -3419.67122305),
            ("hartreedc", -1181.02635410),
            ("XCdc", 142.30170151),
            ("pawpsdc", 1803.55816213),
            ("pawaedc", -1885.80419844),
            ("eentropy", fr - wo),
            ("bandstr", -412.88146723),
            ("atom", 5872.10271245),
        ]
    items += [("e_fr_energy", fr), ("e_wo_entrp", wo), ("e_0_energy", e0)]
    body = [f'{ind} <i name="{k}">{v:17.8f} </i>' for k, v in items]
    return [f"{ind}<energy>"] + body + [f"{ind}</energy>"]


def vasprun(species, frac_steps, steps, forces) -> str:
    natoms = sum(s[1] for s in species)
    symbols = [s[0] for s in species for _ in range(s[1])]
    types = [k + 1 for k, s in enumerate(species) for _ in range(s[1])]
    out = [
        '<?xml version="1.0" encoding="ISO-8859-1"?>',
        "<!-- Hand-made test fixture in VASP's vasprun.xml format; not the output of a VASP run."
        " See README.md. -->",
        "<modeling>",
        " <generator>",
        '  <i name="program" type="string">vasp </i>',
        '  <i name="version" type="string">6.3.2  </i>',
        '  <i name="platform" type="string">LinuxIFC </i>',
        " </generator>",
        " <incar>",
        '  <i type="string" name="PREC">accurate</i>',
        '  <i name="ENCUT">    400.00000000</i>',
        '  <i type="int" name="ISMEAR">     0</i>',
        '  <i name="SIGMA">      0.05000000</i>',
        '  <i type="int" name="IBRION">     2</i>',
        '  <i type="int" name="NSW">    50</i>',
        '  <i name="EDIFFG">     -0.05000000</i>',
        " </incar>",
        " <kpoints>",
        '  <generation param="Gamma">',
        '   <v type="int" name="divisions">       1        1        1 </v>',
        '   <v name="usershift">      0.00000000       0.00000000       0.00000000 </v>',
        "  </generation>",
        '  <varray name="kpointlist" >',
        "   <v>       0.00000000       0.00000000       0.00000000 </v>",
        "  </varray>",
        '  <varray name="weights" >',
        "   <v>       1.00000000 </v>",
        "  </varray>",
        " </kpoints>",
        " <parameters>",
        '  <separator name="electronic" >',
        '   <i type="string" name="PREC">accurate</i>',
        '   <i name="ENMAX">    400.00000000</i>',
        '   <i name="EDIFF">      0.00000100</i>',
        '   <i type="int" name="ISPIN">     1</i>',
        '   <i type="int" name="NBANDS">    64</i>',
        "  </separator>",
        '  <separator name="ionic" >',
        '   <i type="int" name="IBRION">     2</i>',
        '   <i name="PSTRESS">      0.00000000</i>',
        "  </separator>",
        " </parameters>",
        " <atominfo>",
        f"  <atoms>{natoms:8d} </atoms>",
        f"  <types>{len(species):8d} </types>",
        '  <array name="atoms" >',
        '   <dimension dim="1">ion</dimension>',
        '   <dimension dim="2">field</dimension>',
        '   <field type="string">element</field>',
        '   <field type="int">atomtype</field>',
        "   <set>",
    ]
    out += [f"    <rc><c>{s:2s}</c><c>{t:4d}</c></rc>" for s, t in zip(symbols, types, strict=True)]
    out += [
        "   </set>",
        "  </array>",
        '  <array name="atomtypes" >',
        '   <dimension dim="1">type</dimension>',
        '   <field type="int">atomspertype</field>',
        '   <field type="string">element</field>',
        "   <field>mass</field>",
        "   <field>valence</field>",
        '   <field type="string">pseudopotential</field>',
        "   <set>",
    ]
    out += [
        f"    <rc><c>{n:4d}</c><c>{s:2s}</c><c>{m:16.8f}</c><c>{z:16.8f}</c><c>  {pp:36s}</c></rc>"
        for s, n, m, z, pp in species
    ]
    out += ["   </set>", "  </array>", " </atominfo>"]
    out += _structure(frac_steps[0], "initialpos")
    for frac, e, f in zip(frac_steps, steps, forces, strict=True):
        out.append(" <calculation>")
        # two electronic steps shown (a real run has ~10-30); the last one is converged
        first = (e[0] + 0.52341877, e[1] + 0.52341877, e[2] + 0.52341877)
        for k, ee in enumerate((first, e)):
            out.append("  <scstep>")
            out.append(f'   <time name="dav">{1.21 + k:8.2f}{1.23 + k:8.2f}</time>')
            out += _energy(ee, "   ", full=k == 1)
            out.append("  </scstep>")
        out += _structure(frac, ind="  ")
        out += ['  <varray name="forces" >'] + [f"   {_v(r)}" for r in f] + ["  </varray>"]
        stress = [[3.12, 0.41, -0.22], [0.41, -1.87, 0.09], [-0.22, 0.09, 2.44]]
        out += ['  <varray name="stress" >'] + [f"   {_v(r)}" for r in stress] + ["  </varray>"]
        out += _energy(e, "  ", full=False)
        out += ['  <time name="totalsc">   14.58   14.71</time>', "  <dos>"]
        out += ['   <i name="efermi">      2.41716538 </i>', "  </dos>", " </calculation>"]
    out += _structure(frac_steps[-1], "finalpos")
    out.append("</modeling>")
    return "\n".join(out) + "\n"


def outcar(species, frac_steps, steps, forces) -> str:
    natoms = sum(s[1] for s in species)
    dash = " " + "-" * 83
    out = [
        " vasp.6.3.2 27Jun22 (build Jul 19 2022 13:18:50) complex",
        "  ",
        " Hand-made test fixture in VASP's OUTCAR format; not the output of a VASP run."
        " See README.md.",
        "",
    ]
    out += [f" POTCAR:    {sp[4]}" for sp in species]
    for s, _n, m, z, pp in species:
        out += [
            f" POTCAR:    {pp}",
            f"   VRHFIN ={s}:",
            f"   POMASS =  {m:8.3f}; ZVAL   =  {z:8.3f}",
        ]
    out += [
        "",
        " Dimension of arrays:",
        "   k-points           NKPTS =      1   k-points in BZ     NKDIM =      1"
        "   number of bands    NBANDS=     64",
        f"   number of dos      NEDOS =    301   number of ions     NIONS = {natoms:6d}",
        "   ions per type =            " + "".join(f"{s[1]:4d}" for s in species),
        "",
        "   ISPIN  =      1    spin polarized calculation?",
        "   ENCUT  =  400.0 eV  29.40 Ry    5.42 a0",
        "   ISMEAR =     0;   SIGMA  =   0.05  broadening in eV -4-tet -1-fermi 0-gaus",
        "   IBRION =      2    ionic relax: 0-MD 1-quasi-New 2-CG",
        "",
        " k-points in reciprocal lattice and weights: Gamma",
        "   0.00000000  0.00000000  0.00000000       1.000000",
        "",
    ]
    rec = np.linalg.inv(CELL).T
    for step, (frac, e, f) in enumerate(zip(frac_steps, steps, forces, strict=True), start=1):
        first = e[0] + 0.52341877
        for it in (1, 2):
            out += [
                "",
                f"----------------------------------------- Iteration{step:7d}({it:4d})"
                "  ---------------------------------------",
                "",
                f"  free energy    TOTEN  = {first if it == 1 else e[0]:20.8f} eV",
                "",
            ]
        out += [
            "  FORCE on cell =-STRESS in cart. coord.  units (eV):",
            "  Direction    XX          YY          ZZ          XY          YZ          ZX",
            "  in kB       3.12000    -1.87000     2.44000     0.41000     0.09000    -0.22000",
            "  external pressure =        1.23 kB  Pullay stress =        0.00 kB",
            "",
            " VOLUME and BASIS-vectors are now :",
            " " + "-" * 77,
            "  energy-cutoff  :      400.00",
            f"  volume of cell : {np.linalg.det(CELL):11.2f}",
            "      direct lattice vectors                 reciprocal lattice vectors",
        ]
        for r, q in zip(CELL, rec, strict=True):
            out.append(
                "  " + "".join(f"{x:13.9f}" for x in r) + "  " + "".join(f"{x:13.9f}" for x in q)
            )
        out += [
            "",
            " E-fermi :   2.4172     XC(G=0): -11.4732     alpha+bet :-14.3011",
            "",
            " POSITION                                       TOTAL-FORCE (eV/Angst)",
            dash,
        ]
        pos = frac @ CELL
        for p, fr in zip(pos, f, strict=True):
            out.append(
                " " + "".join(f"{x:12.5f}" for x in p) + "    " + "".join(f"{x:14.6f}" for x in fr)
            )
        drift = np.sum(f, axis=0)
        out += [
            dash,
            "    total drift:                          " + "".join(f"{x:14.6f}" for x in drift),
            "",
            "",
            "-" * 104,
            "",
            "",
            "  FREE ENERGIE OF THE ION-ELECTRON SYSTEM (eV)",
            "  ---------------------------------------------------",
            f"  free  energy   TOTEN  = {e[0]:20.8f} eV",
            "",
            f"  energy  without entropy= {e[1]:20.8f}  energy(sigma->0) = {e[2]:20.8f}",
            "",
            "",
        ]
    out += [" reached required accuracy - stopping structural energy minimisation", ""]
    return "\n".join(out) + "\n"


def main() -> None:
    host = [HOST_FRAC]
    hostcu = [np.vstack([HOST_FRAC + s, CU_FRAC]) for s in SHIFTS]
    (HERE / "vasprun_host.xml").write_text(vasprun(SPECIES, host, HOST_STEPS, HOST_FORCES))
    (HERE / "vasprun_host_cu.xml").write_text(
        vasprun(SPECIES + [CU], hostcu, HOSTCU_STEPS, HOSTCU_FORCES)
    )
    (HERE / "OUTCAR_host").write_text(outcar(SPECIES, host, HOST_STEPS, HOST_FORCES))
    (HERE / "OUTCAR_host_cu").write_text(
        outcar(SPECIES + [CU], hostcu, HOSTCU_STEPS, HOSTCU_FORCES)
    )


if __name__ == "__main__":
    main()
