"""The gazetteer at work: exact names, typos, short names that are also words, look-alikes,
origin versus destination, the airport, Bamako, and the web form's place field."""

from __future__ import annotations

import pytest

from tests.triage.conftest import Triage

SHORT_NAMES = ["San", "Bla", "Gao", "Koro", "Kati", "Nara", "Boni", "Ber", "Dilly", "Mena", "Sema"]


@pytest.mark.parametrize("name", SHORT_NAMES)
@pytest.mark.parametrize(
    "template",
    [
        "il vend du yamba à {}",
        "yamba bɛ feere {} la",
        "{}: il vend du yamba",
        "il vend du yamba vers {}",
        "Le vendeur de yamba est un vieux {} connu",
    ],
)
def test_a_short_name_is_a_place_after_a_locative_a_heading_or_a_capital(
    triage: Triage, name: str, template: str
) -> None:
    assert triage(template.format(name)).place == name


@pytest.mark.parametrize("name", SHORT_NAMES)
@pytest.mark.parametrize(
    "template", ["{} il vend du yamba", "il vend du yamba {} ok", "IL VEND DU YAMBA {} OK"]
)
def test_a_short_name_used_as_a_word_is_no_place(triage: Triage, name: str, template: str) -> None:
    decision = triage(template.format(name.lower() if template[0] != "I" else name.upper()))
    assert decision.place is None
    assert decision.antenna == "DG"


@pytest.mark.parametrize(
    "text",
    [
        "bla bla bla arrêtez de nous déranger",
        "n ye yamba san a fɛ",  # san: to buy
        "le vieux koro du quartier vend le yamba",  # kɔrɔ: old
        "il a touché un gros boni en vendant du tramadol",
        "je veux vous dire que mon voisin vend la drogue",  # dire, not Diré
        "une maison en banco où on vend du yamba",  # banco: mud brick, not Banco
        "de la cocaine ya koro sisan",  # "il y a" is no locative
        "des gens de bla bla vendent du yamba",  # a word said twice
    ],
)
def test_ordinary_words_that_spell_a_place_name_no_place(triage: Triage, text: str) -> None:
    assert triage(text).place is None


@pytest.mark.parametrize(
    ("text", "place", "antenna"),
    [
        ("on vend du yamba à Kalaban Coura", "Kalaban Coura", "BKO-RD"),
        ("on vend du yamba à Kalabancoura", "Kalaban Coura", "BKO-RD"),
        ("on vend du yamba à Kalaban-Koura", "Kalaban Coura", "BKO-RD"),
        ("on vend du yamba à Kalaban Coro", "Kalaban Coro", "KKR"),
        ("on vend du yamba à Kalabancoro", "Kalaban Coro", "KKR"),
        ("on vend du yamba à Djicoroni Para", "Djicoroni Para", "BKO-RG"),
        ("on vend du yamba à Baco Djicoroni", "Baco Djicoroni", "BKO-RD"),
        ("on vend du yamba à Baco-Djikoroni", "Baco Djicoroni", "BKO-RD"),
        ("on vend du yamba à Medina Koura", "Médina Coura", "BKO-RG"),
        ("on vend du yamba à Bamako Coura", "Bamako Coura", "BKO-RG"),
    ],
)
def test_look_alike_names_stay_different_places(
    triage: Triage, text: str, place: str, antenna: str
) -> None:
    decision = triage(text)
    assert (decision.place, decision.antenna) == (place, antenna)


@pytest.mark.parametrize(
    ("typo", "place"),
    [
        ("Sikkasso", "Sikasso"),
        ("Bougoni", "Bougouni"),
        ("Tomboctou", "Tombouctou"),
        ("Koutialla", "Koutiala"),
        ("Sevaree", "Sévaré"),
        ("Niamakorro", "Niamakoro"),
        ("Kalaban Koira", "Kalaban Coura"),
        ("Yirimadjio", "Yirimadio"),
        ("Seguo", "Ségou"),  # two letters swapped: one typo
    ],
)
def test_a_typo_of_one_or_two_letters_still_names_the_place(
    triage: Triage, typo: str, place: str
) -> None:
    decision = triage(f"un dealer vend du yamba à {typo}")
    assert decision.place == place
    assert "place.fuzzy" in decision.rules
    assert not decision.confident  # a guessed place waits for a duty officer


@pytest.mark.parametrize(
    "text",
    [
        "une belle fille vend du yamba",  # belle is not Ballé
        "il a fallu attendre, il vend du yamba",  # fallu is not Fallou
        "il vend du yamba à Kato",  # four letters: never guessed
        "il vend du yamba à Gaoo",
        "il vend du yamba à Sikassoooxyz",
        # A first name two letters from a place leads many tips: it is the seller.
        "Toumani vend du yamba tous les soirs",  # not Tamani
        "Maiga vend du yamba tous les soirs",  # not Mahina
    ],
)
def test_no_place_is_guessed_from_words_or_short_names(triage: Triage, text: str) -> None:
    assert triage(text).place is None


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("Sikkasso cocaine be feere boite de nuit kono", "Sikasso"),
        ("Bougoni camion do ye chanvre sac 30 doni a be taa Bamako sisan", "Bougouni"),
        ("Dawudabougou muso do be rivotril feere a ka butiki kono", "Daoudabougou"),
    ],
)
def test_a_name_a_letter_off_leading_the_tip_is_its_place(
    triage: Triage, text: str, place: str
) -> None:
    assert triage(text).place == place


def test_a_group_named_after_a_region_names_no_place(triage: Triage) -> None:
    decision = triage("la katiba Macina taxe les trafiquants de yamba au nord de Ténenkou")
    assert (decision.place, decision.flags) == ("Ténenkou", ("terrorisme",))


def test_an_exact_look_alike_is_never_overridden_by_a_typo(triage: Triage) -> None:
    # "Kalaban Coro" is two letters from "Kalaban Coura": the exact name wins.
    assert triage("un dealer à Kalaban Coro vend du kush").place == "Kalaban Coro"


@pytest.mark.parametrize(
    ("text", "place", "antenna"),
    [
        ("un camion de yamba va de Sikasso à Ségou", "Sikasso", "SIK"),
        ("un camion de yamba part pour Ségou depuis Sikasso", "Sikasso", "SIK"),
        ("un camion de yamba arrive à Ségou en provenance de Sikasso", "Sikasso", "SIK"),
        ("un camion de yamba à destination de Mopti a quitté Kayes", "Kayes", "KAY"),
        ("des motos transportent du yamba vers Gao", "Gao", "GAO"),
        ("A truck carries cannabis from Kayes to Kita", "Kayes", "KAY"),
        ("camion dɔ bɛ yamba ta Kita ka taa Kayes", "Kita", "KAY"),
        ("un car quitte Bamako pour Ségou avec du tramadol", "Bamako", "DG"),
    ],
)
def test_origin_or_scene_routes_before_a_destination(
    triage: Triage, text: str, place: str, antenna: str
) -> None:
    decision = triage(text)
    assert (decision.place, decision.antenna) == (place, antenna)


@pytest.mark.parametrize(
    ("text", "place", "antenna"),
    [
        ("une mule arrive à l'aéroport de Bamako-Sénou", "aéroport de Bamako-Sénou", "BKO-AIR"),
        ("une mule avec de la coke à l'aéroport", "aéroport de Bamako-Sénou", "BKO-AIR"),
        ("cocaïne à l'aeroport Modibo Keita", "aéroport de Bamako-Sénou", "BKO-AIR"),
        ("cocaine through Senou airport", "aéroport de Bamako-Sénou", "BKO-AIR"),
        ("une vieille vend du tramadol à Sénou", "Sénou", "BKO-RD"),
        ("des colis de tramadol passent par l'aéroport de Gao", "Gao", "GAO"),
    ],
)
def test_the_airport_needs_its_name_and_senou_alone_is_the_quartier(
    triage: Triage, text: str, place: str, antenna: str
) -> None:
    decision = triage(text)
    assert (decision.place, decision.antenna) == (place, antenna)


def test_bamako_alone_is_located_but_routed_to_the_dg(triage: Triage) -> None:
    decision = triage("un gros stock de coke à Bamako")
    assert (decision.place, decision.antenna, decision.priority) == ("Bamako", "DG", "P2")
    assert "route.dg.bamako_city" in decision.rules
    assert not decision.confident


def test_a_quartier_is_more_precise_than_bamako(triage: Triage) -> None:
    decision = triage("À Bamako, quartier Magnambougou, un homme stocke du tramadol")
    assert (decision.place, decision.antenna) == ("Magnambougou", "BKO-RD")


def test_a_generic_landmark_gives_way_to_a_named_town(triage: Triage) -> None:
    assert triage("on vend du tramadol au grand marché").place == "Grand Marché"
    assert triage("on vend du tramadol au grand marché de Sikasso").place == "Sikasso"
    assert triage("à Kayes. Au grand marché on vend du tramadol").place == "Kayes"
    # A town named in a later sentence is someone's, not the market's.
    text = "Je tiens un bureau de change au Grand Marché. Un homme de Kati change l'argent du yamba"
    assert triage(text).place == "Grand Marché"
    mosque = triage("dealers selling crack near the Grand Mosque of Bamako")
    assert (mosque.place, mosque.antenna) == ("Grande Mosquée", "BKO-RG")
    assert triage("on vend du yamba derrière la grande mosquée de Mopti").place == "Mopti"


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("Un dealer vend du crack près de la Tour de l'Afrique", "Tour de l'Afrique"),
        ("Au stade du 26 mars ils fument des joints", "Stade du 26 Mars"),
        ("Des trafiquants à l'ACI 2000", "ACI 2000"),
        ("des gens vendent le yamba à Hèrèmakono", "Hèrèmakono"),
        ("des gens vendent le yamba à Heremakono", "Hèrèmakono"),
        ("des gens vendent le yamba à Dioila", "Dioïla"),
        ("des gens vendent le yamba à TOMBOUCTOU", "Tombouctou"),
        ("drug dealers in Timbuktu", "Tombouctou"),
        ("vente de tramadol à Ménaka", "Ménaka"),
        ("des dealers au monument de l'independance chaque nuit", "Monument de l'Indépendance"),
        ("vente de tramadol a la cite du niger", "Cité du Niger"),
    ],
)
def test_landmarks_and_spelling_variants(triage: Triage, text: str, place: str) -> None:
    assert triage(text).place == place


def test_the_form_place_field_is_used_when_the_text_names_no_place(triage: Triage) -> None:
    decision = triage("ils vendent du rivotril au bord du fleuve", place="Koulikoro")
    assert (decision.place, decision.antenna) == ("Koulikoro", "KKR")
    assert "place.form" in decision.rules
    assert decision.confident


def test_the_text_wins_over_the_form_place_field(triage: Triage) -> None:
    decision = triage("un grossiste stocke du tramadol à San", place="Ségou")
    assert (decision.place, decision.antenna) == ("San", "SAN")


@pytest.mark.parametrize(
    ("field", "place", "antenna"),
    [
        # The place picked from the list comes first; a detail naming another town is ignored.
        ("Kayes, route de Ségou", "Kayes", "KAY"),
        ("Bafoulabé, Kayes, vers la gare de Sikasso", "Bafoulabé", "KAY"),
        ("Banconi, Bamako, près du marché de Médina Coura", "Banconi", None),
        # "Bamako" alone is refined by a quartier (or the airport) named in the detail.
        ("Bamako, Kalaban Coura derrière le terrain", "Kalaban Coura", None),
        ("Bamako, à l'aéroport", "aéroport de Bamako-Sénou", None),
        ("Bamako, vers Kati", "Bamako", None),
        # A generic name picked from the list does not yield to the town in the detail.
        ("Grand Marché, Bamako, route de Ségou", "Grand Marché", "BKO-RG"),
        ("Zone industrielle, Bamako, près de Gao", "Zone industrielle", "BKO-RG"),
    ],
)
def test_the_place_picked_from_the_list_wins_over_the_free_detail(
    triage: Triage, field: str, place: str, antenna: str | None
) -> None:
    decision = triage("on vend du yamba ici", place=field)
    assert decision.place == place
    if antenna is not None:
        assert decision.antenna == antenna


def test_a_short_name_in_the_form_field_needs_no_cue(triage: Triage) -> None:
    assert triage("on vend du yamba ici", place="Gao").antenna == "GAO"
    assert triage("on vend du yamba ici", place="Sikkasso").place == "Sikasso"
    assert triage("on vend du yamba ici", place="chez moi").place is None


def test_tama_never_fires_inside_a_longer_word(triage: Triage) -> None:
    # Whole words only: "Sanankoroba" holds "San" and "koro", "Niamakoro" holds "koro".
    assert triage("il vend du yamba à Sanankoroba").place == "Sanankoroba"
    assert triage("il vend du yamba à Niamakoro").place == "Niamakoro"
    assert triage("un grand trafiquant de Ménaka").place == "Ménaka"


@pytest.mark.parametrize(
    "text",
    [
        "yamba bɛ feere sugu kɔrɔ la",  # the old market
        "yamba bɔrɔw bɛ so kɔrɔ kɔnɔ",  # inside the old house
        "Les sacs de yamba sont cachés dans le fourré derrière le village",
        "Le dealer prépare l'héroïne dans la seringue pour ses clients",
        "Les sacs de yamba sont cachés sur la dalle de la maison",
        "Un certain Sangaré vend du tramadol au maquis",
        "Un sergent revend du yamba, l'appelant refuse de dire dans quelle ville",  # no Diré
    ],
)
def test_bambara_and_french_words_near_a_place_name_name_no_place(
    triage: Triage, text: str
) -> None:
    assert triage(text).place is None


@pytest.mark.parametrize(
    "text",
    [
        "Au grand marché de Dakar un Malien vend du tramadol",
        "A l'aéroport de Lomé un passager a avalé des capsules de cocaine",
        "A Hamdallaye à Conakry un réseau stocke des cartons de tramadol",
        "La zone industrielle d'Abidjan cache un dépôt de tramadol",
        "Des colis de cocaïne sont arrivés de Kayes, au Congo-Brazzaville, par avion",
        "Des motos partent de Koro en Côte d'Ivoire avec des sacs de chanvre",
    ],
)
def test_a_landmark_or_quartier_of_a_town_abroad_is_not_bamakos(triage: Triage, text: str) -> None:
    decision = triage(text)
    assert (decision.place, decision.antenna) == (None, "DG")


def test_a_town_from_which_drugs_leave_for_a_country_is_still_the_origin(triage: Triage) -> None:
    assert triage("le camion de yamba part de Kayes au Sénégal ce soir").place == "Kayes"


def test_a_quartier_from_which_drugs_leave_for_abroad_is_still_the_origin(
    triage: Triage,
) -> None:
    decision = triage("un camion de yamba part de Hamdallaye à Conakry ce soir")
    assert decision.place == "Hamdallaye"


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("Le réseau vend du yamba à Banconi, à Kati et à Ségou", "Banconi"),
        ("Des sacs de yamba sont stockés à Kati, à Ségou et à Mopti", "Kati"),
    ],
)
def test_a_list_of_places_is_no_qualification(triage: Triage, text: str, place: str) -> None:
    assert triage(text).place == place


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("demain matin 5 sacs de chanvre arrivent a la gare routiere de Segou venant de Sikasso",
         "Sikasso"),
        ("5 sacs de chanvre arrivent à Ségou demain en provenance de Sikasso", "Sikasso"),
        ("200 kg de yamba arrive a Mopti ce soir, elle est partie de Segou ce matin", "Ségou"),
        ("Des cartons de faux medicaments arrivent a la gare routiere de Sévaré demain avec le "
         "car de Bamako", "Sévaré"),
        ("un car arrive à Sikasso ce soir avec du yamba, le chauffeur habite à Koutiala",
         "Sikasso"),
    ],
)  # fmt: skip
def test_where_goods_arrive_is_a_destination_only_beside_where_they_come_from(
    triage: Triage, text: str, place: str
) -> None:
    assert triage(text).place == place


def test_a_misspelt_town_opening_the_tip_before_its_quartier_names_the_town(
    triage: Triage,
) -> None:
    decision = triage("Sikkasso quartier Wayerma, un vieux fabrique des faux comprimes de tramadol")
    assert decision.place == "Sikasso"


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("Une grosse cargaison de cocaïne doit arriver à Mopti samedi, elle vient de Gao par le "
         "fleuve", "Gao"),
        ("J'ai une chose importante à dire : un gars vend du kush au bord du goudron à Sébénikoro",
         "Sébénikoro"),
        ("Near the Stade du 26 Mars, a man sells cocaine to students every night",
         "Stade du 26 Mars"),
    ],
)  # fmt: skip
def test_a_fifth_fresh_probes_places(triage: Triage, text: str, place: str) -> None:
    assert triage(text).place == place


@pytest.mark.parametrize(
    ("text", "antenna"),
    [
        ("Ce soir grosse livraison de yamba en briques au Dibida, un taxi jaune va déposer les "
         "colis vers 22h", "BKO-RG"),
        ("la boutique de telephonie en face de l'hopital Gabriel Toure vend du tramadol en "
         "cachette", "BKO-RG"),
        ("on vend la drogue a cote de la Place CAN, les jeunes s'y retrouvent la nuit", "BKO-RG"),
    ],
)  # fmt: skip
def test_more_bamako_landmarks_route_to_their_bank(triage: Triage, text: str, antenna: str) -> None:
    assert triage(text).antenna == antenna


@pytest.mark.parametrize(
    ("text", "place", "antenna"),
    [
        ("des orpailleurs de Syama vendent du tramadol", "Syama", "SIK"),
        ("des orpailleurs de Kalana vendent du tramadol", "Kalana", "BGN"),
        ("à Diabaly un camion de yamba", "Diabaly", "SEG"),
        ("à Timissa un camion de yamba", "Timissa", "SAN"),
        ("à Diafarabé une pinasse de yamba", "Diafarabé", "MOP"),
        ("à Gossi un 4x4 de cocaïne", "Gossi", "TBK"),
        ("à Tarkint un 4x4 de cocaïne", "Tarkint", "GAO"),
        ("à In-Khalil un 4x4 de cocaïne", "In-Khalil", "GAO"),  # Kidal's, handed to Gao
        ("à Manantali un camion de yamba", "Manantali", "KAY"),
        ("à Nossombougou un camion de yamba", "Nossombougou", "KKR"),
        ("à Dianéguéla un dealer vend du yamba", "Dianéguéla", "BKO-RD"),
    ],
)
def test_communes_and_villages_of_every_region_are_known(
    triage: Triage, text: str, place: str, antenna: str
) -> None:
    decision = triage(text)
    assert (decision.place, decision.antenna) == (place, antenna)


def test_a_stream_a_letter_or_two_from_a_town_is_no_town(triage: Triage) -> None:
    # The Diafarana Kô runs through Bamako: it is not Diafarabé (Mopti).
    decision = triage("Au bord du Diafarana Kô à Badialan les galadjomans fument l'herbe")
    assert decision.place == "Badialan"


def test_a_radio_named_after_a_town_is_no_place(triage: Triage) -> None:
    # Studio Tamani is a radio; Tamani (Ségou) is only named through it.
    text = "Selon Studio Tamani, la douane de Hèrèmakono a intercepté un camion de chanvre"
    assert triage(text).place == "Hèrèmakono"
