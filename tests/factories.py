"""factory_boy factories for the registers and accounts."""

import factory
from django.contrib.auth import get_user_model

from residents import models


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery")
    is_staff = False


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Region

    name = factory.Sequence(lambda n: f"地区{n}")
    level = models.Region.Level.COUNTY
    parent = None


class TownFactory(RegionFactory):
    level = models.Region.Level.TOWN
    parent = factory.SubFactory(RegionFactory)
    name = factory.Sequence(lambda n: f"镇{n}")


class CommunityFactory(RegionFactory):
    level = models.Region.Level.COMMUNITY
    parent = factory.SubFactory(TownFactory)
    name = factory.Sequence(lambda n: f"社区{n}")


class StaffProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.StaffProfile
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory, is_staff=True)

    @factory.post_generation
    def communities(self, create, extracted, **kwargs):
        if create and extracted:
            self.communities.set(extracted)


class PropertyCompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.PropertyCompany

    name = factory.Sequence(lambda n: f"物业公司{n}")


class OwnersCommitteeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.OwnersCommittee

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"业主委员会{n}")


class NeighbourhoodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Neighbourhood

    community = factory.SubFactory(CommunityFactory)
    name = factory.Sequence(lambda n: f"小区{n}")
    year_built = 1990
    household_count = 10
    population = 30


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Building

    neighbourhood = factory.SubFactory(NeighbourhoodFactory)
    number = factory.Sequence(lambda n: str(n + 1))
    floors = 6
    units = 2


class HouseholdFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Household

    building = factory.SubFactory(BuildingFactory)
    unit = 1
    floor = 3
    room = factory.Sequence(lambda n: f"{300 + n}")
    head_name = factory.Sequence(lambda n: f"住户{n}")
    phone = "13812345678"
    id_number = ""
    people = 3


class VisitTeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.VisitTeam
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"民间小组{n}")

    @factory.post_generation
    def neighbourhoods(self, create, extracted, **kwargs):
        if create and extracted:
            self.neighbourhoods.set(extracted)

    @factory.post_generation
    def members(self, create, extracted, **kwargs):
        if create and extracted:
            self.members.set(extracted)


class CommitteeMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.CommitteeMember

    committee = factory.SubFactory(OwnersCommitteeFactory)
    name = factory.Sequence(lambda n: f"委员{n}")
    phone = "13712345678"


class BuildingHeadFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.BuildingHead

    neighbourhood = factory.SubFactory(NeighbourhoodFactory)
    building = factory.SubFactory(
        BuildingFactory, neighbourhood=factory.SelfAttribute("..neighbourhood")
    )
    name = factory.Sequence(lambda n: f"楼院长{n}")
    phone = "13912345678"


def valid_id_number(first17: str = "61092219850101123") -> str:
    """A resident ID number with the right check character for its first 17 digits."""
    from residents.validators import id_number_check_char

    return first17 + id_number_check_char(first17)
