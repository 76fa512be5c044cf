"""Language codes for the language-identification data: FLORES-200 languages, gettext
locales and UDHR-in-Unicode file stems mapped to ISO 639-3 individual languages.

Every label is an ISO 639-3 *individual* language (``arb``, not the macrolanguage ``ara``),
with the ISO 15924 script of its text where one language is written in several
(``srp_Latn``). The mappings below are the ISO 639-3 code tables' (macrolanguage members)
applied to what each source says it is; where a source names a macrolanguage, the member
given is the standard written language the source's text is in (checked by reading samples).
"""

from __future__ import annotations

# The languages of FLORES-200 (language_Script), as its README lists them.
FLORES200 = """
ace_Arab ace_Latn acm_Arab acq_Arab aeb_Arab afr_Latn ajp_Arab aka_Latn amh_Ethi apc_Arab
arb_Arab arb_Latn ars_Arab ary_Arab arz_Arab asm_Beng ast_Latn awa_Deva ayr_Latn azb_Arab
azj_Latn bak_Cyrl bam_Latn ban_Latn bel_Cyrl bem_Latn ben_Beng bho_Deva bjn_Arab bjn_Latn
bod_Tibt bos_Latn bug_Latn bul_Cyrl cat_Latn ceb_Latn ces_Latn cjk_Latn ckb_Arab crh_Latn
cym_Latn dan_Latn deu_Latn dik_Latn dyu_Latn dzo_Tibt ell_Grek eng_Latn epo_Latn est_Latn
eus_Latn ewe_Latn fao_Latn fij_Latn fin_Latn fon_Latn fra_Latn fur_Latn fuv_Latn gla_Latn
gle_Latn glg_Latn grn_Latn guj_Gujr hat_Latn hau_Latn heb_Hebr hin_Deva hne_Deva hrv_Latn
hun_Latn hye_Armn ibo_Latn ilo_Latn ind_Latn isl_Latn ita_Latn jav_Latn jpn_Jpan kab_Latn
kac_Latn kam_Latn kan_Knda kas_Arab kas_Deva kat_Geor knc_Arab knc_Latn kaz_Cyrl kbp_Latn
kea_Latn khm_Khmr kik_Latn kin_Latn kir_Cyrl kmb_Latn kmr_Latn kon_Latn kor_Hang lao_Laoo
lij_Latn lim_Latn lin_Latn lit_Latn lmo_Latn ltg_Latn ltz_Latn lua_Latn lug_Latn luo_Latn
lus_Latn lvs_Latn mag_Deva mai_Deva mal_Mlym mar_Deva min_Arab min_Latn mkd_Cyrl plt_Latn
mlt_Latn mni_Beng khk_Cyrl mos_Latn mri_Latn mya_Mymr nld_Latn nno_Latn nob_Latn npi_Deva
nso_Latn nus_Latn nya_Latn oci_Latn gaz_Latn ory_Orya pag_Latn pan_Guru pap_Latn pes_Arab
pol_Latn por_Latn prs_Arab pbt_Arab quy_Latn ron_Latn run_Latn rus_Cyrl sag_Latn san_Deva
sat_Olck scn_Latn shn_Mymr sin_Sinh slk_Latn slv_Latn smo_Latn sna_Latn snd_Arab som_Latn
sot_Latn spa_Latn als_Latn srd_Latn srp_Cyrl ssw_Latn sun_Latn swe_Latn swh_Latn szl_Latn
tam_Taml tat_Cyrl tel_Telu tgk_Cyrl tgl_Latn tha_Thai tir_Ethi taq_Latn taq_Tfng tpi_Latn
tsn_Latn tso_Latn tuk_Latn tum_Latn tur_Latn twi_Latn tzm_Tfng uig_Arab ukr_Cyrl umb_Latn
urd_Arab uzn_Latn vec_Latn vie_Latn war_Latn wol_Latn xho_Latn ydd_Hebr yor_Latn yue_Hant
zho_Hans zho_Hant zsm_Latn zul_Latn
""".split()

# FLORES-200 names some macrolanguages; the individual language its text is in.
FLORES_INDIVIDUAL = {"est": "ekk", "grn": "gug", "aka": "twi", "zho": "cmn"}


def flores_langs() -> set[str]:
    return {FLORES_INDIVIDUAL.get(t[:3], t[:3]) for t in FLORES200}


# gettext locale (the part before any "_TERRITORY", or the whole name) -> ISO 639-3.
# "@variant" locales are looked up whole first (sr@latin -> srp, written in Latin).
LOCALES = {
    "aa": "aar", "ab": "abk", "ace": "ace", "ach": "ach", "af": "afr", "ak": "twi",
    "am": "amh", "an": "arg", "ar": "arb", "ary": "ary", "as": "asm", "ast": "ast",
    "ay": "ayr", "az": "azj", "az_IR": "azb", "ba": "bak", "be": "bel", "bg": "bul",
    "bm": "bam", "bn": "ben", "bo": "bod", "br": "bre", "brx": "brx", "bs": "bos",
    "ca": "cat", "ca@valencia": "cat", "cgg": "cgg", "ckb": "ckb", "co": "cos",
    "crh": "crh", "cs": "ces", "csb": "csb", "cv": "chv", "cy": "cym", "da": "dan",
    "de": "deu", "doi": "dgo", "dsb": "dsb", "dz": "dzo", "ee": "ewe", "el": "ell",
    "en": "eng", "en_AU": "eng", "en_CA": "eng", "en_GB": "eng", "en_IE": "eng",
    "en_NZ": "eng", "en_ZA": "eng", "eo": "epo", "es": "spa", "et": "ekk", "eu": "eus",
    "fa": "pes", "ff": "fuv", "fi": "fin", "fil": "tgl", "fo": "fao", "fr": "fra",
    "frp": "frp", "fur": "fur", "fy": "fry", "ga": "gle", "gd": "gla", "gl": "glg",
    "gn": "gug", "gos": "gos", "gu": "guj", "gug": "gug", "gv": "glv", "ha": "hau",
    "he": "heb", "hi": "hin", "hr": "hrv", "hsb": "hsb", "ht": "hat", "hu": "hun",
    "hy": "hye", "hye": "hye", "ia": "ina", "id": "ind", "ie": "ile", "ig": "ibo",
    "ilo": "ilo", "io": "ido", "is": "isl", "it": "ita", "iu": "ike", "ja": "jpn",
    "jv": "jav", "ka": "kat", "kab": "kab", "kg": "kng", "kk": "kaz", "kl": "kal",
    "km": "khm", "kmr@latin": "kmr", "kn": "kan", "ko": "kor", "kok": "gom", "ks": "kas",
    "ku": "kmr", "ku_IQ": "ckb", "kw": "cor", "ky": "kir", "la": "lat", "lb": "ltz",
    "lg": "lug", "li": "lim", "lij": "lij", "lmo": "lmo", "ln": "lin", "lo": "lao",
    "lt": "lit", "lv": "lvs", "mai": "mai", "mg": "plt", "mhr": "mhr", "mi": "mri",
    "mk": "mkd", "ml": "mal", "mn": "khk", "mni": "mni", "mr": "mar", "ms": "zsm",
    "mt": "mlt", "my": "mya", "nap": "nap", "nb": "nob", "nds": "nds", "ne": "npi",
    "nl": "nld", "nn": "nno", "no": "nob", "nr": "nbl", "nso": "nso", "ny": "nya",
    "oc": "oci", "om": "gaz", "or": "ory", "os": "oss", "pa": "pan", "pa_IN": "pan",
    "pap": "pap", "pl": "pol", "ps": "pbt", "pt": "por", "pt_BR": "por", "pt_PT": "por",
    "qu": "quy", "rm": "roh", "ro": "ron", "ru": "rus", "rue": "rue", "rw": "kin",
    "sa": "san", "sat": "sat", "sc": "src", "scn": "scn", "sco": "sco", "sd": "snd",
    "se": "sme", "shn": "shn", "si": "sin", "sk": "slk", "sl": "slv", "sm": "smo",
    "sn": "sna", "so": "som", "sq": "als", "sr": "srp", "sr@latin": "srp",
    "ss": "ssw", "st": "sot", "su": "sun", "sv": "swe", "sw": "swh", "szl": "szl",
    "ta": "tam", "te": "tel", "tg": "tgk", "th": "tha", "ti": "tir", "tk": "tuk",
    "tl": "tgl", "tn": "tsn", "tpi": "tpi", "tr": "tur", "ts": "tso", "tt": "tat",
    "tw": "twi", "tzm": "tzm", "ug": "uig", "uk": "ukr", "ur": "urd", "uz": "uzn",
    "uz@cyrillic": "uzn", "ve": "ven", "vec": "vec", "vi": "vie", "wa": "wln",
    "wo": "wol", "xh": "xho", "yi": "ydd", "yo": "yor", "zgh": "zgh", "zh_CN": "cmn",
    "zu": "zul",
}
# Locales skipped: other orthographies or scripts too thin to train (be@latin, en@shaw,
# sr@ije*, ks@*, sd@*, mni@*, sat@*, kok@*), constructed or historical languages (tlh,
# ang), Traditional Chinese (zh_TW, zh_HK: Han is told by script, not scored), and codes
# whose member is not certain (ber, mo), and collective codes (son: Songhai languages).
# Locales whose code is a macrolanguage are mapped to the member their text is in: kg ->
# kng (Koongo), iu -> ike (Eastern Canadian Inuktitut, in syllabics), sc -> src
# (Logudorese Sardinian), ku -> kmr (Kurmanji, in Latin letters).
SKIP_LOCALES = {"zh_TW", "zh_HK", "tlh", "ang", "ber", "mo", "cmn", "sr@ije",
                "sr@ijekavian", "sr@ijekavianlatin"}


def locale_lang(loc: str) -> str | None:
    if loc in SKIP_LOCALES:
        return None
    if loc in LOCALES:
        return LOCALES[loc]
    if "@" in loc:
        base, variant = loc.split("@", 1)
        base = base.split("_")[0]
        # a variant in the script the language is written in anyway (ca@valencia) keeps it
        if f"{base}@{variant}" in LOCALES:
            return LOCALES[f"{base}@{variant}"]
        return None
    return LOCALES.get(loc.split("_")[0])


# UDHR-in-Unicode file stems whose code is not the ISO 639-3 individual language of the
# text, or that are one of several translations into a language. Stems not listed use
# their first three letters; a stem mapped to None is not used.
UDHR_STEMS = {
    "aka_akuapem": "twi", "aka_asante": "twi", "aka_fante": "fat", "nep": "npi",
    "lav": "lvs", "est": "ekk", "mly_latn": "zsm", "mly_arab": None, "pes_2": None,
    "deu_1901": None, "ell_polytonic": None, "ron_1953": None, "ron_1993": None,
    "tam_LK": None, "hat_popular": None, "hau_NE": None, "hau_3": None, "lin_tones": None,
    "mal_chillus": None, "jav_java": None, "tha2": None, "ven2": None, "fuv2": None,
    "cmn_hans_beijing": None, "cmn_hans_guiyang": None, "cmn_hans_harbin": None,
    "cmn_hans_nanjing": None, "cmn_hans_tianjin": None, "jpn_osaka": None,
    "jpn_tokyo": None, "lat_1": None, "oci_2": None, "oci_3": None, "oci_4": None,
    "rmn_1": None, "urd_2": None, "san_gran": None, "chr_uppercase": None, "gsw1": "gsw", "fri": "fry",
    "nya_chinyanja": None, "tso_ZW": None, "cjk_AO": None, "kng_AO": None, "acu_1": None,
    "khk_mong": None, "tgl_tglg": None, "taj": None, "tzm_tfng": None, "vie_han": None,
    "azj_cyrl": None, "uzn_cyrl": None, "tuk_cyrl": None, "bos_cyrl": None,
    "uig_latn": None, "fuf_adlm": None, "kkh_lana": None, "pbu": "pbt",
    # not language text (numbered stems are translations the package has no code for)
}


def udhr_stem_lang(stem: str) -> str | None:
    if stem in UDHR_STEMS:
        return UDHR_STEMS[stem]
    if stem[:3].isdigit():
        return None
    return stem[:3]
